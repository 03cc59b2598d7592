"""The |phrases filter (tracking/templating.py): <wbr> between Japanese phrases on Japanese pages,
never inside a word, a number or a counter, no one-character phrase; other text unchanged."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from tracking.templating import phrase_chunks, phrases


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("配達しました", ["配達しました"]),
        ("ご注文番号", ["ご注文番号"]),
        ("12月2日(水)までにお届け予定", ["12月2日", "お届け予定"]),
        ("再配達のお申し込み", ["再配達", "お申し込み"]),
        ("ご不在のため持ち戻り", ["ご不在", "持ち戻り"]),
        ("お茶をもっとおいしく", ["おいしく"]),
    ],
)
def test_no_break_inside_a_word(text, words):
    chunks = phrase_chunks(text)
    assert "".join(chunks) == text
    for word in words:
        assert any(word in chunk for chunk in chunks), (word, chunks)


@pytest.mark.parametrize(
    "text",
    ["お茶をもっとおいしく", "新年のおすすめ：福袋をご予約いただけます", "ご不在のため持ち戻り"],
)
def test_no_phrase_of_one_character(text):
    assert all(len(chunk) > 1 for chunk in phrase_chunks(text))


def test_the_filter_marks_japanese_only_and_escapes(app):
    with app.test_request_context("/?lang=ja"):
        app.preprocess_request()
        out = phrases("再配達の<お申し込み>")
        assert out == Markup("再配達の<wbr>&lt;お申し込み&gt;")
        assert phrases("Delivered") == "Delivered"
        marked = Markup("<b>配達しました</b>ので")
        assert phrases(marked) is marked  # markup is left alone, never re-parsed
        # Jinja's _() hands over Markup of plain text: cut like any text, escaping kept.
        assert phrases(Markup("再配達の&amp;お申し込み")) == Markup("再配達の<wbr>&amp;お申し込み")
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert phrases("再配達のお申し込み") == "再配達のお申し込み"  # no <wbr> outside ja pages


def test_the_page_marks_its_status_heading(client, demo, token_for):
    order = demo["ST-1001"]
    html = client.get(f"/{order.brand}/o/{token_for(order)}?lang=ja").get_data(as_text=True)
    assert "配達<wbr>完了" not in html  # the status itself is one word
    assert "お届けは<wbr>いかがでしたか？" in html  # the feedback heading is two phrases
