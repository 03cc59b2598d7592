"""The customer's return desk through HTTP: form, validation that keeps what was typed,
submission, the status page, cancelling, the tracking-page block, and other brands' links."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.factories import items_of, make_order
from tracking.mail.models import Notification
from tracking.returns.models import ReturnRequest


@pytest.fixture
def order(session):
    return make_order(session)


def form_for(client, url) -> dict:
    page = client.get(url).get_data(as_text=True)
    return {"key": re.search(r'name="key" value="([^"]+)"', page).group(1)}


def test_tracking_page_offers_a_return_once_delivered(client, session, token_for):
    delivered = make_order(session)
    on_the_way = make_order(session, ship=False)
    page = client.get(f"/sakura-tea/o/{token_for(delivered)}?lang=en").get_data(as_text=True)
    assert "Start a return or exchange" in page
    assert f"/sakura-tea/o/{token_for(delivered)}/return" in page
    page = client.get(f"/sakura-tea/o/{token_for(on_the_way)}?lang=en").get_data(as_text=True)
    assert "Start a return or exchange" not in page


def test_form_lists_items_with_their_choices(client, session, order, token_for):
    page = client.get(f"/sakura-tea/o/{token_for(order)}/return?lang=en").get_data(as_text=True)
    yun, sen = items_of(session, order)
    assert f'name="qty-{yun.id}"' in page and f'name="qty-{sen.id}"' in page
    assert (
        "白磁" in page and ">藍<" not in page
    )  # exchange choices from the catalogue, not the bought one
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert "Return by" in page


def test_submit_then_status_page_with_rma_instructions_and_qr_once_approved(
    app, client, session, order, token_for
):
    url = f"/sakura-tea/o/{token_for(order)}/return"
    yun, sen = items_of(session, order)
    data = form_for(client, url) | {
        f"qty-{yun.id}": "1",
        f"reason-{yun.id}": "changed_mind",
        f"resolution-{yun.id}": "exchange",
        f"variant-{yun.id}": "白磁",
        f"qty-{sen.id}": "1",
        f"reason-{sen.id}": "changed_mind",
        f"resolution-{sen.id}": "refund",
        "note": "ありがとうございます",
    }
    r = client.post(url + "?lang=en", data=data)
    assert r.status_code == 303
    status_url = r.headers["Location"]
    assert status_url.startswith("/sakura-tea/r/")
    rr = session.exec(select(ReturnRequest).where(ReturnRequest.order_id == order.id)).one()
    assert re.fullmatch(r"ST-[2-9A-HJ-NP-Z]{6}", rr.rma)
    assert (rr.status, rr.customer_note, rr.refund_estimate) == (
        "requested",
        "ありがとうございます",
        1620,
    )
    shown = client.get(status_url + "?lang=en")
    page = shown.get_data(as_text=True)
    # Nothing to pack yet: no QR code (nobody would scan it).
    assert rr.rma in page and 'class="qr"' not in page
    # The status page carries a name and an address: never kept by a shared cache.
    assert shown.headers["Cache-Control"] == "private, no-store"
    # The same form sent again (double click, back button) finds the same request.
    again = client.post(url, data=data)
    assert again.headers["Location"] == status_url
    assert len(session.exec(select(ReturnRequest)).all()) == 1
    mail = session.exec(select(Notification)).one()
    assert mail.locale == "ja" and rr.rma in mail.subject and mail.dedupe_key.endswith(":requested")
    # Once approved, the page shows where to send it.
    from tracking.returns import transitions

    brand = client.application.extensions["todoku_brands"]["sakura-tea"]
    with app.app_context():
        transitions.transition(session, brand, rr, "approve", actor="staff:t")
    page = client.get(status_url + "?lang=ja").get_data(as_text=True)
    assert "〒150-0001" in page and "さくら茶舗 返品係" in page and rr.rma in page
    assert (
        'class="qr" src="data:image/svg+xml' in page
    )  # the QR code, inline: the printed page goes in the box


def test_errors_keep_everything_typed(client, session, order, token_for):
    url = f"/sakura-tea/o/{token_for(order)}/return"
    yun, _sen = items_of(session, order)
    data = form_for(client, url) | {
        f"qty-{yun.id}": "2",
        f"reason-{yun.id}": "changed_mind",
        f"resolution-{yun.id}": "exchange",  # but no variant chosen
        f"note-{yun.id}": "色違いが欲しいです",
        "note": "よろしくお願いします",
    }
    r = client.post(url + "?lang=en", data=data)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Choose what you would like in exchange." in page
    assert '<option value="2" selected>' in page
    assert '<option value="changed_mind" selected>' in page
    assert '<option value="exchange" selected>' in page
    assert "色違いが欲しいです" in page and "よろしくお願いします" in page
    assert f'value="{data["key"]}"' in page
    assert session.exec(select(ReturnRequest)).first() is None


def test_nothing_chosen_is_explained(client, order, token_for):
    url = f"/sakura-tea/o/{token_for(order)}/return"
    r = client.post(url + "?lang=en", data=form_for(client, url))
    assert r.status_code == 422 and "Choose at least one item to return." in r.get_data(
        as_text=True
    )


def test_htmx_submit_swaps_the_form_or_redirects(client, session, order, token_for):
    url = f"/sakura-tea/o/{token_for(order)}/return"
    yun, _ = items_of(session, order)
    data = form_for(client, url) | {f"qty-{yun.id}": "1"}
    r = client.post(url, data=data, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.get_data(as_text=True)
    assert 'id="return-form"' in r.get_data(as_text=True)
    data |= {f"reason-{yun.id}": "changed_mind", f"resolution-{yun.id}": "refund"}
    r = client.post(url, data=data, headers={"HX-Request": "true"})
    assert r.headers["HX-Redirect"].startswith("/sakura-tea/r/")


def test_cod_refund_asks_for_bank_details(client, session, token_for):
    order = make_order(session, payment_method="cod")
    url = f"/sakura-tea/o/{token_for(order)}/return"
    _yun, sen = items_of(session, order)
    data = form_for(client, url) | {
        f"qty-{sen.id}": "1",
        f"reason-{sen.id}": "changed_mind",
        f"resolution-{sen.id}": "refund",
        "account_number": "12345",
        "account_holder": "Yamada",
    }
    r = client.post(url + "?lang=en", data=data)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Enter the 7-digit account number." in page
    assert "in katakana" in page
    data |= {
        "bank_name": "さくら銀行",
        "branch_name": "渋谷支店",
        "account_type": "ordinary",
        "account_number": "１２３４５６７",  # full-width digits are fine
        "account_holder": "ﾔﾏﾀﾞ ﾊﾅｺ",  # half-width kana become full-width
    }
    assert client.post(url, data=data).status_code == 303
    rr = session.exec(select(ReturnRequest)).one()
    assert rr.bank_details["account_number"] == "1234567"
    assert rr.bank_details["account_holder"] == "ヤマダ ハナコ"


def test_card_orders_are_not_asked_for_bank_details(client, order, token_for):
    page = client.get(f"/sakura-tea/o/{token_for(order)}/return?lang=en").get_data(as_text=True)
    assert "account_number" not in page


def test_customer_cancels_before_shipping(client, session, order, token_for):
    url = f"/sakura-tea/o/{token_for(order)}/return"
    yun, _ = items_of(session, order)
    data = form_for(client, url) | {
        f"qty-{yun.id}": "2",
        f"reason-{yun.id}": "changed_mind",
        f"resolution-{yun.id}": "refund",
    }
    status_url = client.post(url, data=data).headers["Location"]
    assert "Cancel this return" in client.get(status_url + "?lang=en").get_data(as_text=True)
    assert client.post(status_url + "/cancel").status_code == 303
    rr = session.exec(select(ReturnRequest)).one()
    session.refresh(rr)
    assert rr.status == "cancelled"
    # Cancelled items can be returned again.
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert '<option value="2">2</option>' in page


def test_other_brands_links_are_404(client, session, order, token_for):
    np_order = make_order(session, "northpeak")
    assert client.get(f"/northpeak/o/{token_for(order)}/return").status_code == 404
    assert client.post(f"/northpeak/o/{token_for(order)}/return", data={}).status_code == 404
    assert client.get(f"/sakura-tea/o/{token_for(np_order)}/return").status_code == 404
    assert client.get("/sakura-tea/o/forged-token/return").status_code == 404
    url = f"/sakura-tea/o/{token_for(order)}/return"
    yun, _ = items_of(session, order)
    data = form_for(client, url) | {
        f"qty-{yun.id}": "1",
        f"reason-{yun.id}": "changed_mind",
        f"resolution-{yun.id}": "refund",
    }
    status_url = client.post(url, data=data).headers["Location"]
    token = status_url.rsplit("/", 1)[1]
    assert client.get(f"/northpeak/r/{token}").status_code == 404
    assert client.post(f"/northpeak/r/{token}/cancel").status_code == 404
    assert client.get("/sakura-tea/r/not-a-token").status_code == 404


def test_return_pages_are_not_cached(client, order, token_for):
    r = client.get(f"/sakura-tea/o/{token_for(order)}/return")
    assert r.headers["Cache-Control"] == "private, no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"


def test_return_pages_in_japanese(client, order, token_for):
    page = client.get(f"/sakura-tea/o/{token_for(order)}/return?lang=ja").get_data(as_text=True)
    assert "返品・交換のお申し込み" in page
