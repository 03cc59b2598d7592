"""Errors answered to htmx forms, in a real browser: an expired session, too many attempts, a
body over the size limit, a proxy's 502 and no connection each show a localized notice beside
the form's button, with what was typed (and the photo chosen) still there."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlmodel import Session, delete, select

from tracking.db import get_engine
from tracking.page.models import Feedback

from .conftest import SAVE_SCREENSHOTS, SCREENSHOTS, screenshot

AXE = Axe()
# Per language: a demo order showing the feedback form, and the texts the customer reads.
CASES = {
    "ja": {
        "order": "ST-1001",
        "rating": "label[for=rating-4]",
        "comment": "コメント（任意）",
        "send": "送信する",
        "thanks": "ご回答ありがとうございました。",
        "expired": "セッションの有効期限が切れました",
        "question": "ご質問内容",
        "ask": "質問を送信",
        "too_many": "試行回数が多すぎます",
        "broken": "エラーが発生しました",
        "offline": "接続できませんでした",
        "too_large": "送信内容が大きすぎます",
        "return": "返品・交換を申し込む",
        "review": "内容を確認する",
        "photo_item": "湯呑み",
    },
    "en": {
        "order": "NP-2003",
        "rating": "label[for=rating-4]",
        "comment": "Comment (optional)",
        "send": "Send feedback",
        "thanks": "Thank you for your feedback!",
        "expired": "Your session has expired",
        "question": "Your question",
        "ask": "Send question",
        "too_many": "Too many attempts",
        "broken": "Something went wrong",
        "offline": "No connection",
        "too_large": "What you sent is too large",
        "return": "Start a return or exchange",
        "review": "Review your return",
        "photo_item": "湯呑み",
    },
}


def assert_accessible(page, name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        bad = [
            f"{v['id']} ({v['impact']}): {[(n['target'], n.get('failureSummary')) for n in v['nodes']][:3]}"
            for v in AXE.run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, f"{name} ({scheme}): {bad}"
    page.emulate_media(color_scheme="light")


def shots(page, name: str, region) -> None:
    """The whole page, and the region around the notice (the part to look at)."""
    screenshot(page, name)
    if SAVE_SCREENSHOTS:
        region.screenshot(path=str(SCREENSHOTS / f"{name}-region.png"))


def fresh_feedback_form(page, live_app, order_url, lang: str) -> dict:
    t = CASES[lang]
    order = live_app.config["DEMO_ORDERS"][t["order"]]
    with Session(get_engine(live_app)) as s:
        s.exec(delete(Feedback).where(Feedback.order_id == order.id))
        s.commit()
    page.goto(f"{order_url(t['order'])}?lang={lang}")
    page.evaluate("window.stillHere = true")
    return t


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_an_expired_session_is_said_in_place_and_sending_again_works(
    page, live_app, order_url, viewport_width, lang
):
    t = fresh_feedback_form(page, live_app, order_url, lang)
    page.locator(t["rating"]).click()
    comment = page.get_by_label(t["comment"])
    comment.fill("箱がきれいでした / neat box")
    # What an expired session looks like to the server: a token that no longer fits.
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'x')")
    page.get_by_role("button", name=t["send"]).click()
    notice = page.locator("#feedback [role=alert]")
    notice.wait_for()
    assert t["expired"] in notice.inner_text()
    assert comment.input_value() == "箱がきれいでした / neat box"
    assert page.locator("#rating-4").is_checked()
    assert page.evaluate("window.stillHere") is True  # in place: no page load
    # Beside the button that was pressed, where the eye already is.
    assert page.evaluate(
        "document.querySelector('#feedback [role=alert]').nextElementSibling.type"
    ) == ("submit")
    shots(page, f"form-errors-expired-{lang}-{viewport_width}", page.locator("#feedback"))
    assert_accessible(page, f"expired {lang} {viewport_width}")
    # The answer renewed the token: sending again goes through, nothing retyped.
    page.get_by_role("button", name=t["send"]).click()
    page.get_by_text(t["thanks"]).wait_for()
    with Session(get_engine(live_app)) as s:
        order = live_app.config["DEMO_ORDERS"][t["order"]]
        row = s.exec(select(Feedback).where(Feedback.order_id == order.id)).one()
        assert (row.rating, row.comment) == (4, "箱がきれいでした / neat box")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_too_many_questions_are_said_in_place_with_the_question_kept(
    page, live_url, order_url, viewport_width, lang
):
    t = CASES[lang]
    page.goto(f"{order_url(t['order'])}?lang={lang}")
    action = live_url + page.locator("#ask form").get_attribute("action").split("#")[0]
    token = page.locator("#ask input[name=csrf_token]").input_value()
    # Use up the order's budget of questions (10 an hour) with empty ones (each refused: 422).
    for _ in range(12):
        if page.request.post(action, form={"csrf_token": token}).status == 429:
            break
    question = page.get_by_label(t["question"])
    question.fill("サイズ交換はできますか？ / Can I swap the size?")
    page.get_by_role("button", name=t["ask"]).click()
    notice = page.locator("#ask [role=alert]")
    notice.wait_for()
    assert t["too_many"] in notice.inner_text()
    assert question.input_value() == "サイズ交換はできますか？ / Can I swap the size?"
    shots(page, f"form-errors-429-{lang}-{viewport_width}", page.locator("#ask"))
    assert_accessible(page, f"429 {lang} {viewport_width}")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_proxys_502_and_no_connection_get_the_pages_own_notice(
    page, live_app, order_url, viewport_width, lang
):
    t = fresh_feedback_form(page, live_app, order_url, lang)
    comment = page.get_by_label(t["comment"])
    comment.fill("proxy")
    page.route("**/feedback", lambda route: route.fulfill(status=502, body="Bad Gateway"))
    page.get_by_role("button", name=t["send"]).click()
    notice = page.locator("#feedback [role=alert]")
    notice.wait_for()
    assert t["broken"] in notice.inner_text()
    page.unroute("**/feedback")
    page.route("**/feedback", lambda route: route.abort("connectionrefused"))
    page.get_by_role("button", name=t["send"]).click()
    page.locator("#feedback [role=alert]", has_text=t["offline"]).wait_for()
    # One notice at a time, and the input still there.
    assert page.locator("#feedback [role=alert]").count() == 1
    assert comment.input_value() == "proxy"
    shots(page, f"form-errors-offline-{lang}-{viewport_width}", page.locator("#feedback"))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_photos_over_the_size_limit_are_said_in_place_with_the_choices_kept(
    page, live_app, order_url, viewport_width, lang
):
    t = CASES[lang]
    page.goto(f"{order_url('ST-1001')}?lang={lang}")
    page.get_by_role("link", name=t["return"]).click()
    page.wait_for_url("**/return")
    # Photo fields are on the summary step, for a reason that needs one (the cup, damaged).
    item = page.locator("fieldset.ritem", has_text=t["photo_item"])
    item.locator("select[name^=qty]").select_option("1")
    item.locator("select[name^=reason]").select_option("damaged")
    item.locator("select[name^=resolution]").select_option("refund")
    page.get_by_role("button", name=t["review"]).click()
    summary = page.locator("form.summary")
    summary.wait_for()
    photo = {"name": "box.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8" + b"0" * 300_000}
    summary.locator("input[type=file]").set_input_files(photo)
    limit = live_app.config["MAX_CONTENT_LENGTH"]
    live_app.config["MAX_CONTENT_LENGTH"] = 200_000
    try:
        summary.locator("button[value=send]").click()
        notice = page.locator("#return-form [role=alert]")
        notice.wait_for()
    finally:
        live_app.config["MAX_CONTENT_LENGTH"] = limit
    assert t["too_large"] in notice.inner_text()
    assert summary.locator("input[type=file]").evaluate("input => input.files.length") == 1
    assert t["photo_item"] in summary.inner_text()  # the choices are still there
    assert summary.locator("button[value=send]").is_enabled()
    shots(page, f"form-errors-413-{lang}-{viewport_width}", notice.locator("xpath=.."))
    assert_accessible(page, f"413 {lang} {viewport_width}")
