"""Japanese line breaking, measured in Chromium: the line of every character is read from its
rendered box (``Range.getClientRects``), at 320, 390 and 1280 px.

- No line breaks inside a chosen word in headings, statuses, buttons, banner titles, the
  estimate and the progress steps (BudouX's ``<wbr>`` + ``word-break: keep-all``).
- No line of Japanese text anywhere on the page starts with a small kana, ー or 。、
  (``line-break: strict``).
- No banner title ends on a line of one character.

The control run switches the fix off in the same pages (``word-break: normal``, ``line-break:
anywhere``) and must find breaks inside words at 320 px: the measurement can see what it checks.
"""

from __future__ import annotations

import pytest

from .conftest import own_host_context, screenshot

WORDS = [
    "配達しました",
    "配達完了",
    "ご注文番号",
    "ご注文の配送状況",
    "お届け予定",
    "お届けは",
    "いかがでしたか",
    "再配達",
    "お申し込み",
    "ご不在",
    "持ち戻り",
    "配送に",
    "問題が",
    "発生しました",
    "お問い合わせ",
    "発送準備中",
    "おすすめ",
    "お茶を",
    "おいしく",
    "返品・交換",
    "遅れています",
    "ご注文",
    "急須",
    "湯呑み",
    "ブーツを",
    "必需品",
    "10%オフクーポン",
    "ご予約受付中",
    # The return pages: headings, buttons, statuses.
    "返品番号",
    "確認する",
    "修正する",
    "申し込む",
    "返送方法",
    "お戻しいただく",
    "お届け先",
    "着払い",
    "返金",
    "受け付けました",
    "承認されました",
    "お問い合わせ番号",
    "届きました",
    "分かれて",
]
# Return pages: the form, its summary step and status pages of several ways back and states.
RETURNS = ["ST-1205", "ST-1203", "NP-2206", "NP-2202", "NP-2204"]
PAGES = ["ST-1001", "ST-1002", "ST-1004", "ST-1005", "NP-2001", "NP-2002"]
CHECKED = (
    "h1,h2,h3,h4,.hero,.status,.status-now,button,.button,.banner span,.progress li,label,"
    ".faq summary"
)

MEASURE = r"""
([words, checked]) => {
  const SMALL = /[ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶー。、）」』！？：]/;
  const hidden = (n) => n.parentElement && n.parentElement.closest('.vh, .visually-hidden, [hidden], script, style, template');
  function lines(el) {
    const chars = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      if (hidden(node)) continue;
      for (let i = 0; i < node.data.length; i++) {
        const r = document.createRange();
        r.setStart(node, i); r.setEnd(node, i + 1);
        const rects = r.getClientRects();
        if (!rects.length || !rects[0].width) continue;
        chars.push({c: node.data[i], top: rects[0].top, h: rects[0].height});
      }
    }
    let line = 0;
    chars.forEach((ch, k) => {
      if (k && ch.top > chars[k - 1].top + ch.h / 2) line++;
      ch.line = line;
    });
    return chars;
  }
  const show = (chars) => {
    const out = [];
    chars.forEach((ch) => { (out[ch.line] = (out[ch.line] || '') + ch.c); });
    return out;
  };
  const found = {inside: [], kana: [], lone: []};
  for (const el of document.querySelectorAll(checked)) {
    if (!el.getClientRects().length) continue;
    const chars = lines(el);
    const text = chars.map((c) => c.c).join('');
    const spans = [];
    for (const w of words) {
      for (let at = text.indexOf(w); at >= 0; at = text.indexOf(w, at + 1)) spans.push([at, w]);
    }
    // Dates and times are words too: 12月10日(木), 14〜16時.
    for (const m of text.matchAll(/[0-9]+月[0-9]+日(?:\([^)]\))?|[0-9]+〜[0-9]+時/g)) spans.push([m.index, m[0]]);
    for (const [at, w] of spans) {
      if (new Set(chars.slice(at, at + w.length).map((c) => c.line)).size > 1) {
        found.inside.push([w, show(chars)]);
      }
    }
    if (el.matches('.banner span')) {
      const ls = show(chars);
      if (ls.length > 1 && ls[ls.length - 1].trim().length < 2) found.lone.push(ls);
    }
  }
  for (const block of document.querySelectorAll('main p, main li, main h1, main h2, main h3, main dd, main label, main span.raw, main summary, main legend')) {
    const chars = lines(block);
    for (let k = 1; k < chars.length; k++) {
      if (chars[k].line !== chars[k - 1].line && SMALL.test(chars[k].c)) {
        found.kana.push(show(chars));
        break;
      }
    }
  }
  return found;
}
"""

BREAK_ANYWHERE = (
    "*{word-break:normal!important;line-break:anywhere!important;text-wrap:wrap!important}"
)


def _measure(page) -> dict:
    return page.evaluate(MEASURE, [WORDS, CHECKED])


@pytest.fixture
def ja_page(browser, live_url, request):
    def make(width: int, **options):
        context, foreign = own_host_context(
            browser, live_url, viewport={"width": width, "height": 844}, locale="ja-JP", **options
        )
        request.addfinalizer(context.close)
        request.addfinalizer(lambda: not foreign or pytest.fail(f"foreign requests: {foreign}"))
        return context.new_page()

    return make


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_no_break_inside_a_word_nor_before_small_kana(ja_page, order_url, live_url, width):
    page = ja_page(width)
    problems = {}
    for number in PAGES:
        page.goto(f"{order_url(number)}?lang=ja")
        found = _measure(page)
        if any(found.values()):
            problems[number] = found
        screenshot(page, f"typography-{number}-ja-{width}")
    page.goto(f"{live_url}/sakura-tea/?lang=ja")
    found = _measure(page)
    if any(found.values()):
        problems["lookup"] = found
    assert not problems, problems


def test_the_measurement_sees_breaks_inside_words_without_the_fix(ja_page, order_url):
    """The control: the same pages at 320 px with phrase breaking switched off do break inside
    the chosen words (so the test above would fail without the fix)."""
    page = ja_page(320, bypass_csp=True)  # the override is an inline style of our own
    inside = []
    for number in PAGES:
        page.goto(f"{order_url(number)}?lang=ja")
        page.add_style_tag(content=BREAK_ANYWHERE)
        inside += _measure(page)["inside"]
    assert inside, "no word broke even with the fix switched off: the pages prove nothing"


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_return_pages_break_only_between_phrases(ja_page, order_url, live_app, live_url, width):
    """The return form (items step and summary step) and return status pages in several
    states and ways back: the same measurements as the tracking page."""
    from .test_return_shipping_browser import _status_url

    page = ja_page(width)
    problems = {}
    page.goto(f"{order_url('ST-1001')}/return?lang=ja")
    if any(found := _measure(page).values()):
        problems["form"] = found
    screenshot(page, f"typography-return-form-ja-{width}")
    item = page.locator("fieldset.ritem").first
    item.locator("select[name^=qty]").select_option("1")
    item.locator("select[name^=reason]").select_option("changed_mind")
    item.locator("select[name^=resolution]").select_option("refund")
    page.locator("button[name=step][value=review]").click()
    page.locator("form.summary").wait_for()
    if any(found := _measure(page).values()):
        problems["summary"] = found
    screenshot(page, f"typography-return-summary-ja-{width}")
    for number in RETURNS:
        page.goto(_status_url(live_app, live_url, number) + "?lang=ja")
        if any(found := _measure(page).values()):
            problems[number] = found
        screenshot(page, f"typography-return-{number}-ja-{width}")
    assert not problems, problems


def test_the_measurement_sees_breaks_on_return_pages_without_the_fix(ja_page, live_app, live_url):
    """The control for the return pages: with phrase breaking off they break inside words."""
    from .test_return_shipping_browser import _status_url

    page = ja_page(320, bypass_csp=True)
    inside = []
    for number in RETURNS:
        page.goto(_status_url(live_app, live_url, number) + "?lang=ja")
        page.add_style_tag(content=BREAK_ANYWHERE)
        inside += _measure(page)["inside"]
    assert inside, "no word broke even with the fix switched off: the pages prove nothing"
