"""Every raw JP status listed in reference §4.1 (Yamato, Sagawa, Japan Post columns) maps as the
table says; the "not found" entries make ``parse`` raise NotFound."""

from __future__ import annotations

import logging

import pytest

import carriers
from carriers import NotFound, Status, parsing
from carriers.japan import rules as jp_rules

S = Status
TABLE_4_1 = {
    "yamato": [
        ("出荷指示", S.INFO_RECEIVED),
        ("荷物受付", S.IN_TRANSIT),
        ("発送", S.IN_TRANSIT),
        ("発送済み", S.IN_TRANSIT),
        ("輸送中", S.IN_TRANSIT),
        ("作業店通過", S.IN_TRANSIT),
        ("配達店到着", S.IN_TRANSIT),
        ("配達中", S.OUT_FOR_DELIVERY),
        ("持戻(ご不在)", S.ATTEMPT_FAILED),
        ("持戻(休業)", S.ATTEMPT_FAILED),
        ("ご来店予定(保管中)", S.AVAILABLE_FOR_PICKUP),
        ("依頼受付(店頭受取)", S.AVAILABLE_FOR_PICKUP),
        ("配達完了", S.DELIVERED),
        ("配達完了（宅配ボックス）", S.DELIVERED),
        ("投函完了", S.DELIVERED),
        ("お客様引渡完了", S.DELIVERED),
        ("調査中", S.EXCEPTION),
        ("持戻(転居)", S.EXCEPTION),
        ("返品", S.RETURNING_TO_SENDER),
    ],
    "sagawa": [
        ("集荷", S.IN_TRANSIT),
        ("輸送中", S.IN_TRANSIT),
        ("配達中", S.OUT_FOR_DELIVERY),
        ("持戻り", S.ATTEMPT_FAILED),
        ("ご不在", S.ATTEMPT_FAILED),
        ("保管中", S.AVAILABLE_FOR_PICKUP),
        ("配達完了", S.DELIVERED),
        ("引渡完了", S.DELIVERED),
        ("営業所へお問い合わせください", S.EXCEPTION),
    ],
    "japanpost": [
        ("引受", S.IN_TRANSIT),
        ("中継", S.IN_TRANSIT),
        ("通過", S.IN_TRANSIT),
        ("到着", S.IN_TRANSIT),
        ("持ち出し中", S.OUT_FOR_DELIVERY),
        ("ご不在のため持ち戻り", S.ATTEMPT_FAILED),
        ("保管", S.AVAILABLE_FOR_PICKUP),
        ("お届け済み", S.DELIVERED),
        ("窓口でお渡し", S.DELIVERED),
        ("コンビニエンスストアに引渡", S.DELIVERED),
        ("調査中", S.EXCEPTION),
        ("返送中", S.RETURNING_TO_SENDER),
        ("差出人に返送済み", S.RETURNED_TO_SENDER),
    ],
}


@pytest.mark.parametrize(
    ("code", "raw", "expected"),
    [(code, raw, status) for code, rows in TABLE_4_1.items() for raw, status in rows],
)
def test_table_4_1(code, raw, expected):
    status, _ = carriers.get(code).classify(raw)
    assert status is expected


@pytest.mark.parametrize(
    ("code", "raw", "sub"),
    [
        ("japanpost", "税関検査のため税関へ提示", "customs"),
        ("japanpost", "通関手続中", "customs"),
        ("japanpost", "配達希望受付", "delivery_rescheduled"),
        ("yamato", "配達完了（宅配ボックス）", "delivery_box"),
        ("yamato", "配達完了(宅配ボックス)", "delivery_box"),
        ("yamato", "持戻（ご不在）", "recipient_absent"),
        ("yamato", "ご来店予定（保管中）", "held_at_office"),
        ("yamato", "調査中", "investigating"),
        ("yamato", "配達店到着", "arrived_delivery_office"),
    ],
)
def test_sub_status_and_width_insensitive(code, raw, sub):
    assert carriers.get(code).classify(raw)[1] == sub


def test_unknown_text_is_unknown_and_logged_once(caplog):
    adapter = carriers.get("yamato")
    raw = "未知の状態テキスト"
    parsing._unknown_seen.discard(("yamato", raw))
    with caplog.at_level(logging.WARNING, logger="todoku.carriers"):
        assert adapter.classify(raw) == (Status.UNKNOWN, "")
        assert adapter.classify(raw) == (Status.UNKNOWN, "")
    messages = [r.getMessage() for r in caplog.records if raw in r.getMessage()]
    assert len(messages) == 1


# "(not yet)" / 該当なし / "not found" in §4.1: minimal pages in each carrier's layout.
NOT_FOUND_PAGES = {
    "yamato": """<html><meta charset="utf-8"><div class="parts-tracking-invoice-block">
        <p>伝票番号 {hy}</p><div class="tracking-invoice-block-state is-urgent-red">
        <h4 class="tracking-invoice-block-state-title">{text}</h4></div></div></html>""",
    "sagawa": """<html><meta charset="utf-8"><span class="state">{text}</span>
        <dd id="detail1"><table><tr><td>{text}</td></tr></table></dd></html>""",
    "japanpost": """<html><meta charset="utf-8"><table class="tableType01" summary="照会結果">
        <tr><td>{number}</td><td>{text}</td></tr></table></html>""",
}


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("yamato", "伝票番号誤り"),
        ("yamato", "伝票番号未登録"),
        ("sagawa", "該当なし"),
        ("sagawa", "お荷物データが登録されておりません。"),
        ("japanpost", "該当なし"),
        ("japanpost", "＊＊ お問い合わせ番号が見つかりません。お問い合わせ番号をご確認の上、"),
        (
            "japanpost",
            "＊＊ お問い合わせ番号の入力桁数に誤りがあります。11桁から13桁で入力してください。",
        ),
    ],
)
def test_not_registered_raises_not_found(code, text):
    number = "444413758703"
    hy = f"{number[:4]}-{number[4:8]}-{number[8:]}"
    body = NOT_FOUND_PAGES[code].format(text=text, number=number, hy=hy).encode()
    with pytest.raises(NotFound):
        carriers.get(code).parse(body, number)


def test_mapping_tables_are_data():
    # Readable tuples of (substring, Status, sub_status): nothing hidden in code paths.
    for code in ("yamato", "sagawa", "japanpost", "seino", "fukuyama"):
        for needle, status, sub in carriers.get(code).rules + jp_rules.COMMON_RULES:
            assert isinstance(needle, str) and needle
            assert status in set(Status) - {Status.UNKNOWN}, needle
            assert sub == "" or sub.isidentifier(), (needle, sub)  # snake_case or none
