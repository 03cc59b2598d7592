"""The summary step of the return form over plain HTTP (no JavaScript): choices → summary with
amounts and hidden fields → back without losing anything → send; photo fields only for reasons
that need them; htmx gets the same steps as fragments."""

from __future__ import annotations

import io
import re

import pytest
from sqlmodel import select

from tests.factories import items_of, make_order
from tests.support.returns import jpeg
from tracking.returns.models import ReturnRequest


@pytest.fixture
def order(session):
    return make_order(session)


def start(client, url) -> dict:
    page = client.get(url).get_data(as_text=True)
    return {"key": re.search(r'name="key" value="([^"]+)"', page).group(1)}


def hidden(page: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


def test_the_form_asks_for_no_photo_and_goes_to_the_summary(client, session, order, token_for):
    url = f"/sakura-tea/o/{token_for(order)}/return"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert 'type="file"' not in page  # no reason chosen yet: no photo field
    assert 'name="step" value="review"' in page and "Review your return" in page


def test_summary_shows_items_reasons_resolutions_and_amounts(client, session, order, token_for):
    url = f"/sakura-tea/o/{token_for(order)}/return"
    yun, sen = items_of(session, order)
    data = start(client, url) | {
        f"qty-{yun.id}": "2",
        f"reason-{yun.id}": "changed_mind",
        f"resolution-{yun.id}": "store_credit",
        f"qty-{sen.id}": "1",
        f"reason-{sen.id}": "changed_mind",
        f"resolution-{sen.id}": "refund",
        f"note-{sen.id}": "開封していません",
        "note": "よろしくお願いします",
        "step": "review",
    }
    r = client.post(url + "?lang=en", data=data)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "Check and send" in page and "Nothing has been sent yet" in page
    assert "湯呑み" in page and "× 2" in page and "煎茶" in page and "× 1" in page
    assert "Not what I expected" in page and "Store credit" in page and "Refund" in page
    # 2 × ¥2,420 = ¥4,840 + 10 % bonus as credit; ¥1,620 refunded (no fee at this shop).
    assert "¥5,324" in page and "includes a bonus of ¥484" in page and "¥1,620" in page
    assert "paid by you" in page  # the customer's reason: return shipping is theirs
    assert 'type="file"' not in page  # neither reason needs a photo
    # Every choice rides along, so "Change" and "Send" both have it.
    carried = hidden(page)
    for name in (f"qty-{yun.id}", f"resolution-{sen.id}", f"note-{sen.id}", "note", "key"):
        assert carried[name] == data[name]
    assert "step" not in carried and session.exec(select(ReturnRequest)).first() is None
    # Back: the form again, every choice kept.
    back = client.post(url + "?lang=en", data=carried | {"step": "edit"})
    assert back.status_code == 200
    form = back.get_data(as_text=True)
    assert f'<select id="resolution-{yun.id}"' in form
    assert '<option value="store_credit" selected>' in form and "開封していません" in form
    assert "よろしくお願いします" in form
    # Send: stored once, with its amounts.
    sent = client.post(url, data=carried | {"step": "send"})
    assert sent.status_code == 303
    rr = session.exec(select(ReturnRequest)).one()
    assert (rr.refund_amount, rr.credit_amount, rr.refund_estimate) == (1620, 5324, 6944)


def test_summary_with_mistakes_goes_back_to_the_form(client, order, session, token_for):
    url = f"/sakura-tea/o/{token_for(order)}/return"
    yun, _sen = items_of(session, order)
    data = start(client, url) | {f"qty-{yun.id}": "1", "step": "review"}
    r = client.post(url + "?lang=en", data=data)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Choose a reason." in page and "Check and send" not in page


def test_photo_field_only_for_a_reason_that_needs_one(client, session, order, token_for):
    url = f"/sakura-tea/o/{token_for(order)}/return"
    yun, sen = items_of(session, order)
    data = start(client, url) | {
        f"qty-{yun.id}": "1",
        f"reason-{yun.id}": "damaged",  # needs one photo
        f"resolution-{yun.id}": "refund",
        f"qty-{sen.id}": "1",
        f"reason-{sen.id}": "changed_mind",
        f"resolution-{sen.id}": "refund",
        "step": "review",
    }
    page = client.post(url + "?lang=en", data=data).get_data(as_text=True)
    assert f'name="photos-{yun.id}"' in page and f'name="photos-{sen.id}"' not in page
    assert "A photo of the item, please" in page
    carried = hidden(page)
    # Sent without the photo: the summary again, the field marked.
    r = client.post(url + "?lang=en", data=carried | {"step": "send"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Check and send" in page and f'aria-describedby="photos-{yun.id}-err"' in page
    # With it: stored, the photo kept.
    r = client.post(
        url,
        data=carried | {"step": "send", f"photos-{yun.id}": [(io.BytesIO(jpeg()), "damage.jpg")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    rr = session.exec(select(ReturnRequest)).one()
    assert rr.fault == "merchant" and rr.refund_amount == 2420 + 1620


def test_cod_bank_details_are_checked_before_the_summary_and_shown_in_it(
    client, session, token_for
):
    order = make_order(session, payment_method="cod")
    url = f"/sakura-tea/o/{token_for(order)}/return"
    _yun, sen = items_of(session, order)
    data = start(client, url) | {
        f"qty-{sen.id}": "1",
        f"reason-{sen.id}": "changed_mind",
        f"resolution-{sen.id}": "refund",
        "step": "review",
    }
    r = client.post(url + "?lang=en", data=data)
    assert r.status_code == 422 and "Enter the 7-digit account number." in r.get_data(as_text=True)
    bank = {
        "bank_name": "さくら銀行",
        "branch_name": "渋谷支店",
        "account_type": "ordinary",
        "account_number": "1234567",
        "account_holder": "ヤマダ ハナコ",
    }
    page = client.post(url + "?lang=en", data=data | bank).get_data(as_text=True)
    assert "Check and send" in page and "さくら銀行 渋谷支店" in page and "1234567" in page


def test_htmx_gets_each_step_as_a_fragment(client, session, order, token_for):
    url = f"/sakura-tea/o/{token_for(order)}/return"
    _yun, sen = items_of(session, order)
    data = start(client, url) | {
        f"qty-{sen.id}": "1",
        f"reason-{sen.id}": "changed_mind",
        f"resolution-{sen.id}": "refund",
    }
    htmx = {"HX-Request": "true"}
    r = client.post(url + "?lang=en", data=data | {"step": "review"}, headers=htmx)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in page and 'id="return-form"' in page
    assert "Check and send" in page
    r = client.post(url, data=hidden(page) | {"step": "send"}, headers=htmx)
    assert r.status_code == 204 and r.headers["HX-Redirect"].startswith("/sakura-tea/r/")
