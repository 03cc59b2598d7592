"""Every customer mail, rendered in both languages: nothing left untranslated, the recipient
addressed by each language's convention, and — sent through a real SMTP server — the headers
and both parts every mail must carry."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta
from email.utils import parseaddr

import pytest
from babel.messages.pofile import read_po
from sqlmodel import select

from tests.support import ROOT
from tests.support.smtp import SmtpServer, parts
from tracking.dashboard import inquiries
from tracking.mail import outbox, preview, render, triggers
from tracking.mail.config import TRIGGERS, DaysTrigger
from tracking.mail.models import Notification
from tracking.page.models import Inquiry
from tracking.returns import notify
from tracking.returns.models import ReturnRequest
from tracking.timeutil import utcnow

KINDS = [*TRIGGERS, "return_status", "inquiry_reply"]
URL = re.compile(r"(https?://|mailto:)\S+")
EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")
# English prose: two or more words of Latin letters in a row ("Your order has shipped").
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,'’]+[A-Za-z]{2,})+")  # codes use - and _
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _translated_msgids() -> list[str]:
    """Fragments (between placeholders) of every msgid that has a different ja translation."""
    with open(ROOT / "tracking/translations/ja/LC_MESSAGES/messages.po", encoding="utf-8") as f:
        catalog = read_po(f)
    fragments = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not message.id or not all(strings) or ids[0] == strings[0]:
            continue
        for msgid in ids:
            for fragment in re.split(r"%\(\w+\)[sd]|%[sd]", msgid):
                if len(fragment.strip()) >= 8:  # shorter ones ("UPS", "Carrier") may be names
                    fragments.add(fragment.strip())
    return sorted(fragments)


MSGIDS = _translated_msgids()


def _address_lines(app, slug: str) -> list[str]:
    from tracking.addresses import postal

    brand = app.extensions["todoku_brands"][slug]
    ship_to = brand.returns.ship_to
    address = ship_to.postal("ja", brand.default_locale, brand.shipping.country)
    return postal.lines(address, "ja")


def _visible(html: str) -> str:
    """The text a reader sees in the HTML part (no tags, no JSON-LD, no style)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


def _prose(text: str) -> str:
    return EMAIL.sub(" ", URL.sub(" ", text))


def _render(app, slug: str, kind: str, locale: str) -> tuple[str, str, str]:
    brand = app.extensions["todoku_brands"][slug]
    with app.test_request_context():
        if kind == "return_status":
            return notify.preview(brand, locale)
        if kind == "inquiry_reply":
            return inquiries.reply_preview(brand, locale)
        return preview.order_mail(brand, kind, locale)


@pytest.fixture(scope="module")
def mail_app(tmp_path_factory, sqlite_template):
    from app import create_app

    return create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{sqlite_template}", "SECRET_KEY": "t"}
    )


@pytest.mark.parametrize("slug", ["sakura-tea", "northpeak"])
@pytest.mark.parametrize("kind", KINDS)
def test_japanese_mail_has_no_english_left(mail_app, slug, kind):
    subject, text, html = _render(mail_app, slug, kind, "ja")
    for part in (subject, text, _visible(html)):
        prose = _prose(part)
        for line in _address_lines(mail_app, slug):
            # A postal address keeps its country's script: a US address stays in Latin letters.
            prose = prose.replace(line, " ")
        left = [m for m in MSGIDS if m in prose]
        assert not left, f"untranslated in the ja {kind} mail: {left}"
        runs = ENGLISH_RUN.findall(prose)
        assert not runs, f"English sentence in the ja {kind} mail: {runs}"
    assert "山田 花子 様" in text and "山田 花子 様" in html


@pytest.mark.parametrize("slug", ["sakura-tea", "northpeak"])
@pytest.mark.parametrize("kind", KINDS)
def test_english_mail_has_no_japanese_left(mail_app, slug, kind):
    subject, text, html = _render(mail_app, slug, kind, "en")
    for part in (subject, text, _visible(html)):
        assert not CJK.findall(_prose(part)), f"Japanese in the en {kind} mail: {part[:300]}"
    assert "Hi Hanako," in text and "Hi Hanako," in html and "Yamada" not in text


def test_html_part_is_branded_inlined_and_has_parcel_markup(mail_app):
    brand = mail_app.extensions["todoku_brands"]["northpeak"]
    _subject, _text, html = _render(mail_app, "northpeak", "shipped", "en")
    assert f"{mail_app.config['BASE_URL']}/northpeak/logo" in html
    assert brand.theme.primary in html and 'style="' in html  # brand colour, inlined CSS
    assert '"@type":"ParcelDelivery"' in html.replace(": ", ":")
    assert "<img" in html and html.count("<img") == 1  # the logo only: no tracking pixel


def _with_warranty(app, slug):
    """The brand with the warranty reminder switched on (off by default), and no end to the
    delivery day (so out-for-delivery, queued for yesterday, is sent 400 days later too)."""
    brands = app.extensions["todoku_brands"]
    brand = brands[slug]
    mail = brand.mail.model_copy(
        update={
            "triggers": brand.mail.triggers.model_copy(
                update={"warranty": DaysTrigger(enabled=True, days=3650)}
            ),
            "deliveries_end": None,
        }
    )
    brands[slug] = brand.model_copy(update={"mail": mail})
    return brands[slug]


@pytest.mark.parametrize("number", ["ST-1003", "NP-2001"])
def test_every_mail_sent_carries_the_required_headers_and_parts(app, demo, session, number):
    order = demo[number]
    with app.app_context():
        brand = _with_warranty(app, order.brand)
        for note in session.exec(select(Notification)).all():
            session.delete(note)
        session.commit()
        now = utcnow()
        for kind in TRIGGERS:
            triggers.queue(session, brand, order, kind, base=now - timedelta(days=1), day="1")
        rr = ReturnRequest(brand=brand.slug, order_id=order.id, rma="R-HDR-1", public_id="p1")
        notify.notify(session, brand, rr, order, "approved")
        question = Inquiry(brand=brand.slug, order_id=order.id, message="?", locale=order.locale)
        question.reply_by = now.date()
        session.add(question)
        session.commit()
        inquiries.reply(session, brand, question, order, "Answer", "staff@example.com")
        notes = {n.message_id: n for n in session.exec(select(Notification)).all()}
        assert len(notes) == len(TRIGGERS) + 2
        with SmtpServer() as smtp:
            app.config["SMTP_URL"] = smtp.url
            later = now + timedelta(days=400)  # past every delay and quiet hour
            while outbox.deliver_pending(session, now=later):
                pass
            messages = smtp.messages
    assert sorted(m["Message-ID"] for m in messages) == sorted(notes)
    for msg in messages:
        note = notes[msg["Message-ID"]]
        # a long subject folds right after "Subject:"; readers drop that leading space
        assert msg["Date"] and msg["Subject"].strip() == note.subject
        name, address = parseaddr(msg["From"])
        assert name == brand.display_name(note.locale) and address
        assert msg["Reply-To"] == str(brand.support.email)
        follow_up = note.kind in ("follow_up", "warranty")
        assert (msg["List-Unsubscribe"] is not None) == follow_up, note.kind
        assert (msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click") == follow_up
        body = parts(msg)
        assert set(body) == {"text/plain", "text/html"}, note.kind
        assert order.number in body["text/plain"] and order.number in body["text/html"]


def _staff(client, email="staff@sakura-tea.example"):
    r = client.post("/admin/login", data={"email": email, "password": "todoku-demo-staff"})
    assert r.status_code == 303


def test_staff_preview_lists_every_mail_in_both_languages(app, demo, client):
    _staff(client)
    page = client.get("/admin/sakura-tea/mail").get_data(as_text=True)
    for kind in KINDS:
        for locale in ("ja", "en"):
            assert f"/admin/sakura-tea/mail/preview/{kind}/{locale}" in page, (kind, locale)
    assert 'sandbox=""' in page and '<pre class="mail">' in page  # HTML framed, text shown
    assert "山田 花子 様" in page and "Hi Hanako," in page  # the text parts, both languages


@pytest.mark.parametrize("kind", KINDS)
def test_preview_frame_is_the_mail_html_under_a_no_script_policy(app, demo, client, kind):
    _staff(client)
    r = client.get(f"/admin/sakura-tea/mail/preview/{kind}/ja")
    assert r.status_code == 200 and r.mimetype == "text/html"
    csp = r.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp
    assert "frame-ancestors 'self'" in csp and r.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "山田 花子 様" in r.get_data(as_text=True)


def test_preview_is_brand_scoped_and_rejects_unknown_kinds(app, demo, client):
    assert client.get("/admin/sakura-tea/mail/preview/shipped/ja").status_code == 302  # login
    _staff(client)
    assert client.get("/admin/northpeak/mail/preview/shipped/ja").status_code == 404
    assert client.get("/admin/sakura-tea/mail/preview/nope/ja").status_code == 404
    assert client.get("/admin/sakura-tea/mail/preview/shipped/fr").status_code == 404


def test_a_stored_mail_opens_in_the_frame_for_its_brand_only(app, demo, session, client):
    with app.app_context():
        note = session.exec(
            select(Notification).where(Notification.brand == "northpeak").limit(1)
        ).one()
    _staff(client)
    assert client.get(f"/admin/northpeak/mail/{note.id}/html").status_code == 404
    client.post("/admin/logout")
    _staff(client, "staff@northpeak.example")
    r = client.get(f"/admin/northpeak/mail/{note.id}/html")
    assert r.status_code == 200 and "sandbox" in r.headers["Content-Security-Policy"]
    assert r.get_data(as_text=True) == note.body_html


HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_customer_and_staff_text_is_escaped_in_the_html_part(mail_app):
    """Names, questions, answers, item names and numbers come from customers, shops and staff:
    in the HTML part they are text, never markup — also inside the JSON-LD script block."""
    brand = mail_app.extensions["todoku_brands"]["northpeak"]
    built = render.Content(
        subject=HOSTILE,
        heading=HOSTILE,
        greeting=render.greeting(HOSTILE, "en"),
        paragraphs=[HOSTILE],
        facts=[("Order", HOSTILE)],
        quotes=[("Your question", HOSTILE)],
        parcels=[render.ParcelBlock(carrier="ups", number=HOSTILE, status="x", items=[HOSTILE])],
        json_ld=[{"trackingNumber": "</script>" + HOSTILE}],
    )
    with mail_app.test_request_context():
        _subject, text, html = render.render_in(brand, "en", lambda: built)
    assert "<script>alert" not in html and "<img src=x" not in html and "</script><" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6  # each field, as text
    assert "\\u003c/script\\u003e" in html  # the JSON-LD value cannot close its block
    assert HOSTILE in text  # the plain part is plain text: nothing to escape there
