"""Staff side: accounts, login/logout/expiry, the queue, transitions, bulk approve, notes, CSV,
photos, the mail preview, and brand isolation (another brand's staff → 404)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.factories import items_of, make_order
from tests.support.returns import jpeg, submission
from tracking.returns import transitions
from tracking.returns.models import ReturnEvent, ReturnPhoto
from tracking.returns.submission import submit
from tracking.staff import auth as staff
from tracking.staff.models import StaffUser

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(session):
    return {
        "sakura-tea": staff.create_staff(session, "sakura-tea", "a@sakura.example", PASSWORD),
        "northpeak": staff.create_staff(session, "northpeak", "b@northpeak.example", PASSWORD),
    }


def login(client, email="a@sakura.example", password=PASSWORD):
    return client.post("/admin/login", data={"email": email, "password": password})


@pytest.fixture
def rr(app, session, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    order = make_order(session, email="hanako@example.com")
    yun, _ = items_of(session, order)
    sub = submission(
        "admin-test-key-0001",
        (yun.id, 1, "damaged", "refund"),
        photos={yun.id: [jpeg()]},
    )
    with app.app_context():
        return submit(session, brand, order, sub, upload_dir=tmp_path)


def test_password_is_hashed_and_checked(session, accounts):
    user = session.exec(select(StaffUser).where(StaffUser.email == "a@sakura.example")).one()
    assert PASSWORD not in user.password_hash and user.password_hash.startswith(
        ("scrypt:", "pbkdf2:")
    )
    assert staff.authenticate(session, "A@Sakura.example", PASSWORD).id == user.id
    assert staff.authenticate(session, "a@sakura.example", "wrong password!") is None
    assert staff.authenticate(session, "nobody@x.example", PASSWORD) is None


def test_weak_or_duplicate_accounts_are_refused(session, accounts):
    with pytest.raises(staff.StaffError):
        staff.create_staff(session, "sakura-tea", "c@x.example", "short")
    with pytest.raises(staff.StaffError):
        staff.create_staff(session, "northpeak", "a@sakura.example", PASSWORD)


def test_cli_creates_an_account(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["staff", "create", "--brand", "northpeak", "--email", "cli@x.example"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert staff.authenticate(session, "cli@x.example", PASSWORD).brand == "northpeak"
    bad = runner.invoke(
        args=[
            "staff",
            "create",
            "--brand",
            "nope",
            "--email",
            "x@x.example",
            "--password",
            PASSWORD,
        ]
    )
    assert bad.exit_code != 0 and "no brand" in bad.output


def test_login_logout_and_pages_need_a_login(client, accounts, rr):
    r = client.get("/admin/sakura-tea/returns")
    assert r.status_code == 302 and "/admin/login" in r.headers["Location"]
    assert login(client, password="nope nope nope").status_code == 401
    r = login(client)
    assert r.status_code == 303 and r.headers["Location"] == "/admin/sakura-tea/"
    assert client.get("/admin/sakura-tea/returns").status_code == 200
    cookie = client.get_cookie("session")
    client.post("/admin/logout")
    assert client.get("/admin/sakura-tea/returns").status_code == 302
    # A copy of the old cookie is worthless after logout.
    client.set_cookie("session", cookie.value)
    assert client.get("/admin/sakura-tea/returns").status_code == 302


def test_login_redirect_stays_on_site(client, accounts):
    r = client.post(
        "/admin/login?next=//evil.example/x",
        data={"email": "a@sakura.example", "password": PASSWORD},
    )
    assert r.headers["Location"] == "/admin/sakura-tea/"


def test_session_expires_when_idle(app, client, accounts, time_machine):
    time_machine.move_to("2026-11-23T00:00:00Z", tick=False)
    login(client)
    assert client.get("/admin/sakura-tea/returns").status_code == 200
    time_machine.move_to("2026-11-23T01:59:00Z", tick=False)
    assert client.get("/admin/sakura-tea/returns").status_code == 200  # refreshes the idle clock
    time_machine.move_to("2026-11-23T03:58:00Z", tick=False)
    assert client.get("/admin/sakura-tea/returns").status_code == 200
    time_machine.move_to("2026-11-23T06:00:00Z", tick=False)
    assert client.get("/admin/sakura-tea/returns").status_code == 302


def test_session_has_an_absolute_lifetime(app, client, accounts, time_machine):
    time_machine.move_to("2026-11-23T00:00:00Z", tick=False)
    login(client)
    for hour in range(1, 12):
        time_machine.move_to(f"2026-11-23T{hour:02d}:00:00Z", tick=False)
        assert client.get("/admin/sakura-tea/returns").status_code == 200
    time_machine.move_to("2026-11-23T12:01:00Z", tick=False)
    assert client.get("/admin/sakura-tea/returns").status_code == 302


def test_other_brands_staff_get_404_everywhere(client, session, accounts, rr):
    login(client, "b@northpeak.example")
    photo = session.exec(select(ReturnPhoto)).one()
    for url in (
        "/admin/sakura-tea/returns",
        "/admin/sakura-tea/returns.csv",
        f"/admin/sakura-tea/returns/{rr.rma}",
        f"/admin/sakura-tea/photos/{photo.id}",
        "/admin/sakura-tea/mail",
    ):
        assert client.get(url).status_code == 404, url
    r = client.post(
        f"/admin/sakura-tea/returns/{rr.rma}/transition", data={"action": "approve", "version": "1"}
    )
    assert r.status_code == 404
    # Under their own brand, the other brand's RMA and photo do not exist either.
    assert client.get(f"/admin/northpeak/returns/{rr.rma}").status_code == 404
    assert client.get(f"/admin/northpeak/photos/{photo.id}").status_code == 404
    assert (
        client.post(
            f"/admin/northpeak/returns/{rr.rma}/transition",
            data={"action": "approve", "version": "1"},
        ).status_code
        == 404
    )


def test_queue_filters_and_search(client, session, accounts, rr, app):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    other_order = make_order(session, email="taro@example.com")
    item = items_of(session, other_order)[1]
    with app.app_context():
        other = submit(
            session,
            brand,
            other_order,
            submission("admin-test-key-0002", (item.id, 1, "changed_mind", "refund")),
            upload_dir=None,
        )
    with app.app_context():
        transitions.transition(session, brand, other, "approve", actor="staff:x")
    login(client)

    def rmas(query):
        page = client.get(f"/admin/sakura-tea/returns?{query}").get_data(as_text=True)
        return set(re.findall(r">(ST-[A-Z0-9]{6})<", page))

    assert rmas("") == {rr.rma, other.rma}
    assert rmas("status=approved") == {other.rma}
    assert rmas("reason=damaged") == {rr.rma}
    assert rmas("q=hanako@example.com") == {rr.rma}
    assert rmas(f"q={other.rma.lower()}") == {other.rma}
    assert rmas(f"q={other_order.number}") == {other.rma}
    assert rmas("age=2") == set()
    # htmx gets the table alone.
    part = client.get("/admin/sakura-tea/returns?status=approved", headers={"HX-Request": "true"})
    assert "<html" not in part.get_data(as_text=True) and other.rma in part.get_data(as_text=True)


def test_detail_shows_items_photos_checks_history(client, session, accounts, rr):
    login(client)
    page = client.get(f"/admin/sakura-tea/returns/{rr.rma}?lang=en").get_data(as_text=True)
    photo = session.exec(select(ReturnPhoto)).one()
    assert f"/admin/sakura-tea/photos/{photo.id}" in page
    assert "Policy checks" in page and "Photos: 1 of 1 required" in page
    assert "Earlier requests by this customer in 365 days: 0 (limit 3)" in page
    assert "History" in page and "customer" in page
    r = client.get(f"/admin/sakura-tea/photos/{photo.id}")
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "More returns than the per-customer limit: check before approving"),
        ("ja", "お客様ごとの返品件数の上限を超えています。承認前にご確認ください"),
    ],
)
def test_the_over_the_cap_reason_reads_in_the_staff_language(
    client, session, accounts, rr, lang, words
):
    # The system's reason is stored as a code; rows from before the code hold the sentence.
    for stored in ("over_cap", "over the per-customer cap"):
        event = session.exec(select(ReturnEvent).where(ReturnEvent.return_id == rr.id)).first()
        event.reason = stored
        session.add(event)
        session.commit()
        login(client)
        page = client.get(f"/admin/sakura-tea/returns/{rr.rma}?lang={lang}").get_data(True)
        assert words in page and stored not in page


def test_a_refused_return_parcel_says_why_and_keeps_what_staff_typed(client, session, accounts, rr):
    login(client)
    url = f"/admin/sakura-tea/returns/{rr.rma}/transition"
    assert client.post(url, data={"action": "approve", "version": "1"}).status_code == 303
    data = {"action": "ship", "version": "2", "carrier": "japanpost", "tracking_number": "１２３"}
    reasons = {
        "en": "123 is not a valid tracking number for this carrier",
        "ja": "123 はこの配送業者の追跡番号として正しくありません",
    }
    for lang, reason in reasons.items():
        page = client.post(f"{url}?lang={lang}", data=data)
        html = page.get_data(as_text=True)
        assert page.status_code == 409 and reason in html
        assert 'value="１２３"' in html and '<option value="japanpost" selected>' in html


def test_photos_are_not_public(client, session, rr):
    photo = session.exec(select(ReturnPhoto)).one()
    assert client.get(f"/admin/sakura-tea/photos/{photo.id}").status_code == 302
    assert client.get(f"/static/{photo.stored_name}").status_code == 404


def test_transitions_through_the_queue_and_the_stale_warning(client, session, accounts, rr):
    login(client)
    url = f"/admin/sakura-tea/returns/{rr.rma}/transition"
    r = client.post(url, data={"action": "approve", "version": "1"})
    assert r.status_code == 303
    # A second staff member still looking at version 1:
    r = client.post(url + "?lang=en", data={"action": "reject", "version": "1"})
    assert r.status_code == 409 and "Someone else changed this return" in r.get_data(as_text=True)
    r = client.post(url + "?lang=en", data={"action": "refund", "version": "2"})
    assert r.status_code == 409 and "not possible from the current status" in r.get_data(
        as_text=True
    )
    r = client.post(
        url + "?lang=en",
        data={"action": "ship", "version": "2", "carrier": "yamato", "tracking_number": "12"},
    )
    assert r.status_code == 409 and "not a valid tracking number" in r.get_data(as_text=True)

    def step(action, version):
        data = {"action": action, "version": str(version), "reason": "ok"}
        assert client.post(url, data=data).status_code == 303

    step("receive", 2)
    step("inspect", 3)
    # The customer asked for a refund: that is the one outcome offered (with its amount); an
    # exchange or credit would be an explicit change of resolution first.
    page = client.get(f"/admin/sakura-tea/returns/{rr.rma}?lang=en").get_data(as_text=True)
    assert 'name="action" value="refund"' in page
    assert 'name="action" value="exchange"' not in page
    assert 'name="action" value="credit"' not in page
    assert f"Mark refund of ¥{rr.refund_amount:,} paid" in page
    assert "Change the resolution" in page
    step("refund", 4)
    step("close", 5)
    session.refresh(rr)
    assert rr.status == "closed"
    actors = {
        e.actor for e in session.exec(select(ReturnEvent).where(ReturnEvent.return_id == rr.id))
    }
    assert actors == {"customer", "staff:a@sakura.example"}


def test_notes_are_added_to_the_history(client, session, accounts, rr):
    login(client)
    client.post(f"/admin/sakura-tea/returns/{rr.rma}/note", data={"note": "電話で確認済み"})
    note = session.exec(select(ReturnEvent).where(ReturnEvent.action == "note")).one()
    assert (note.reason, note.actor, note.to_status) == (
        "電話で確認済み",
        "staff:a@sakura.example",
        "",
    )


def test_bulk_approve_skips_what_changed(client, session, accounts, rr, app):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    order = make_order(session)
    item = items_of(session, order)[1]
    with app.app_context():
        second = submit(
            session,
            brand,
            order,
            submission("admin-test-key-0003", (item.id, 1, "changed_mind", "refund")),
            upload_dir=None,
        )
    login(client)
    page = client.get("/admin/sakura-tea/returns").get_data(as_text=True)
    assert f'value="{rr.rma}:1"' in page and f'value="{second.rma}:1"' in page
    with app.app_context():
        transitions.transition(session, brand, second, "reject", actor="staff:other")  # meanwhile
    r = client.post(
        "/admin/sakura-tea/returns/bulk-approve?lang=en",
        data={"pick": [f"{rr.rma}:1", f"{second.rma}:1", "XX-NOPE:1"]},
        follow_redirects=True,
    )
    assert "Approved: 1. Skipped (changed or not approvable): 2." in r.get_data(as_text=True)
    session.refresh(rr)
    session.refresh(second)
    assert (rr.status, second.status) == ("approved", "rejected")


def test_csv_export(client, accounts, rr, session):
    session.exec(select(StaffUser)).all()
    login(client)
    r = client.get("/admin/sakura-tea/returns.csv?status=requested")
    text = r.get_data(as_text=True)
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    assert text.lstrip("\ufeff").splitlines()[0].startswith("rma,status,order,email")
    assert f"{rr.rma},requested," in text


def test_csv_cells_cannot_become_formulas():
    from tracking.orders.sheets import csv_safe as _csv_safe

    assert _csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _csv_safe("a@b") == "a@b"


def test_mail_preview_shows_the_outbox_of_this_brand(client, session, accounts, rr, app):
    login(client)
    page = client.get("/admin/sakura-tea/mail").get_data(as_text=True)
    assert rr.rma in page and "hanako@example.com" in page
    login(client, "b@northpeak.example")
    assert rr.rma not in client.get("/admin/northpeak/mail").get_data(as_text=True)


def test_staff_pages_do_not_show_the_customer_contact_footer(client, accounts, rr):
    login(client)
    for url in ("/admin/sakura-tea/returns", "/admin/sakura-tea/mail"):
        r = client.get(url)
        assert r.status_code == 200
        assert 'class="support"' not in r.get_data(as_text=True)
