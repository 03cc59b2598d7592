"""The outbox, through a real SMTP server: headers, both parts, crash and retry, 4xx and 5xx."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr, parsedate_to_datetime

import pytest
from sqlmodel import select

from tests.support import ROOT
from tests.support.smtp import SmtpServer, free_port, parts
from tracking.mail import outbox as mail
from tracking.mail.models import Notification, Unsubscribe
from tracking.timeutil import utcnow


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def ctx(app, smtp):
    app.config["SMTP_URL"] = smtp.url
    with app.app_context():
        yield app


def _queue(session, key="inquiry:1", to="shop@example.com", brand="sakura-tea", **kw):
    return mail.enqueue(
        session,
        brand=brand,
        kind="inquiry",
        dedupe_key=key,
        to=to,
        subject="件名です",
        body="本文です",
        html="<p>本文です</p>",
        locale="ja",
        **kw,
    )


def test_enqueue_is_idempotent_per_dedupe_key(ctx, session):
    first = _queue(session)
    again = _queue(session)
    session.commit()
    assert first.id == again.id
    assert len(session.exec(select(Notification)).all()) == 1


def _mail(key: str) -> dict:
    return dict(
        brand="sakura-tea",
        kind="inquiry",
        dedupe_key=key,
        to="shop@example.com",
        subject="件名です",
        body="本文です",
    )


def test_enqueue_many_queues_a_batch_in_the_callers_transaction(ctx, session):
    # The change that caused the mail, then the mail; the change rolls back: no mail either.
    session.add(Unsubscribe(brand="sakura-tea", email="cause@example.jp"))
    session.flush()
    mail.enqueue_many(session, [_mail("batch:1"), _mail("batch:2")])
    session.rollback()
    assert session.exec(select(Notification)).all() == []
    assert session.exec(select(Unsubscribe)).all() == []
    notes = mail.enqueue_many(session, [_mail("batch:1"), _mail("batch:2")])
    session.commit()
    keys = sorted(n.dedupe_key for n in session.exec(select(Notification)).all())
    assert keys == ["batch:1", "batch:2"] and all(n.id for n in notes)


def test_enqueue_many_falls_back_to_one_by_one_when_a_key_was_queued_meanwhile(ctx, session):
    # A concurrent writer queued batch:2 after the caller looked the keys up.
    earlier = _queue(session, key="batch:2")
    session.commit()
    notes = mail.enqueue_many(session, [_mail("batch:1"), _mail("batch:2"), _mail("batch:3")])
    session.commit()
    assert [n.dedupe_key for n in notes] == ["batch:1", "batch:2", "batch:3"]
    assert notes[1].id == earlier.id  # the existing row, not a second mail
    rows = session.exec(select(Notification).order_by(Notification.dedupe_key)).all()
    assert [r.dedupe_key for r in rows] == ["batch:1", "batch:2", "batch:3"]


def test_without_smtp_mail_stays_in_the_outbox(ctx, session):
    ctx.config["SMTP_URL"] = None
    _queue(session)
    session.commit()
    assert mail.deliver_pending(session) == 0
    assert session.exec(select(Notification.status)).one() == "queued"


def test_every_mail_has_the_headers_and_both_parts(ctx, session, smtp):
    note = _queue(session, to="hanako@example.com")
    session.commit()
    assert mail.deliver_pending(session) == 1
    (msg,) = smtp.messages
    name, address = parseaddr(msg["From"])
    assert name == "さくら茶舗" or name  # the brand's name in the mail's language
    assert address == "no-reply@localhost"  # MAIL_FROM's address
    assert msg["Reply-To"] == "support@sakura-tea.example"
    assert msg["To"] == "hanako@example.com"
    assert msg["Subject"] == "件名です"
    assert msg["Message-ID"] == note.message_id and note.message_id.endswith("@127.0.0.1>")
    assert abs(parsedate_to_datetime(msg["Date"]) - utcnow()) < timedelta(minutes=1)
    assert msg["List-Unsubscribe"] is None  # transactional mail has no unsubscribe
    assert msg.get_content_type() == "multipart/alternative"
    body = parts(msg)
    assert body["text/plain"].strip() == "本文です"
    assert body["text/html"].strip() == "<p>本文です</p>"
    session.refresh(note)
    assert (note.status, note.attempts, note.last_error) == ("sent", 1, "")
    assert mail.deliver_pending(session) == 0  # nothing twice


def test_mail_due_later_waits(ctx, session, smtp):
    later = utcnow() + timedelta(hours=2)
    _queue(session, send_after=later)
    session.commit()
    assert mail.deliver_pending(session) == 0
    assert mail.deliver_pending(session, now=later + timedelta(seconds=1)) == 1


def test_crash_after_sending_resends_once_with_the_same_message_id(ctx, session, smtp, monkeypatch):
    note = _queue(session)
    session.commit()

    def crash(_note):
        raise SystemExit("worker killed between send and mark")

    monkeypatch.setattr(mail, "_after_send", crash)
    with pytest.raises(SystemExit):
        mail.deliver_pending(session)
    monkeypatch.undo()
    session.rollback()
    session.refresh(note)
    assert note.status == "sending"  # claimed, sent, never marked
    assert mail.deliver_pending(session) == 0  # the claim still holds: no second worker takes it
    assert mail.deliver_pending(session, now=utcnow() + mail.LEASE + timedelta(seconds=1)) == 1
    ids = [m["Message-ID"] for m in smtp.messages]
    assert ids == [note.message_id, note.message_id]  # at worst once more, same Message-ID
    assert mail.deliver_pending(session, now=utcnow() + 3 * mail.LEASE) == 0
    assert len(smtp.messages) == 2


def test_a_claim_holds_worker_lease_seconds(ctx, session, smtp, app):
    app.config["WORKER_LEASE_SECONDS"] = 30
    note = _queue(session)
    session.commit()
    now = utcnow()
    assert [n.id for n in mail.claim(session, ["sakura-tea"], now, 10)] == [note.id]
    session.refresh(note)
    assert note.claimed_until == now + timedelta(seconds=30)
    assert mail.claim(session, ["sakura-tea"], now + timedelta(seconds=29), 10) == []
    taken = mail.claim(session, ["sakura-tea"], now + timedelta(seconds=31), 10)
    assert [n.id for n in taken] == [note.id]


def test_crash_before_sending_loses_nothing(ctx, session, smtp, monkeypatch):
    _queue(session, "a")
    _queue(session, "b")
    session.commit()
    monkeypatch.setattr(mail, "_before_send", lambda note: (_ for _ in ()).throw(SystemExit()))
    with pytest.raises(SystemExit):
        mail.deliver_pending(session)
    monkeypatch.undo()
    session.rollback()
    assert smtp.handler.envelopes == []
    assert mail.deliver_pending(session, now=utcnow() + mail.LEASE + timedelta(seconds=1)) == 2
    assert len(smtp.messages) == 2


def test_4xx_is_retried_with_backoff_then_sent(ctx, session, smtp):
    smtp.handler.answers = ["451 4.3.0 Mailbox busy, try later"]
    note = _queue(session)
    session.commit()
    start = utcnow()
    assert mail.deliver_pending(session, now=start) == 0
    session.refresh(note)
    assert note.status == "queued" and note.attempts == 1
    assert note.last_error.startswith("451") and "try later" in note.last_error
    wait = note.send_after - start
    assert timedelta(minutes=1) <= wait <= timedelta(minutes=1, seconds=7)
    assert mail.deliver_pending(session, now=start + timedelta(seconds=30)) == 0  # not due yet
    assert mail.deliver_pending(session, now=start + timedelta(minutes=2)) == 1
    session.refresh(note)
    assert (note.status, note.attempts) == ("sent", 2)
    assert len(smtp.messages) == 1


def test_backoff_doubles_and_is_capped():
    assert mail.backoff(1) >= timedelta(minutes=1)
    assert timedelta(minutes=8) <= mail.backoff(4) <= timedelta(minutes=8.8)
    assert timedelta(hours=6) <= mail.backoff(30) <= timedelta(hours=6.6)


def test_5xx_fails_at_once_and_says_why(ctx, session, smtp):
    smtp.handler.answers = ["550 5.1.1 No such user here"]
    note = _queue(session, "x")
    _queue(session, "y")
    session.commit()
    assert mail.deliver_pending(session) == 1  # the other mail still goes
    session.refresh(note)
    assert note.status == "failed" and note.attempts == 1
    assert note.last_error == "550 5.1.1 No such user here"
    assert mail.deliver_pending(session, now=utcnow() + timedelta(days=1)) == 0


def test_unreachable_server_keeps_the_mail_and_gives_up_after_max_attempts(ctx, session):
    ctx.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    ctx.config["MAIL_MAX_ATTEMPTS"] = 3
    note = _queue(session)
    session.commit()
    now = utcnow()
    for attempt in (1, 2):
        assert mail.deliver_pending(session, now=now) == 0
        session.refresh(note)
        assert (note.status, note.attempts) == ("queued", attempt)
        assert note.last_error.startswith("connect: ConnectionRefusedError")
        now = note.send_after + timedelta(seconds=1)
    assert mail.deliver_pending(session, now=now) == 0
    session.refresh(note)
    assert note.status == "failed" and note.last_error.startswith("gave up after 3 tries")


def test_staff_resend_puts_a_mail_back_in_the_queue(ctx, session, smtp):
    smtp.handler.answers = ["554 5.7.1 Rejected"]
    note = _queue(session)
    session.commit()
    mail.deliver_pending(session)
    session.refresh(note)
    assert note.status == "failed"
    mail.requeue(session, note)
    assert mail.deliver_pending(session) == 1
    session.refresh(note)
    assert (note.status, note.attempts, note.last_error) == ("sent", 1, "")


def test_a_queued_mail_goes_when_its_transaction_is_rolled_back(app, session):
    """``enqueue`` does not commit: the caller's rollback takes the mail with it, also when the
    savepoint is the first statement of the transaction (on SQLite, whose driver starts no
    transaction before a SAVEPOINT, releasing it used to commit the mail)."""
    from tracking.mail import outbox
    from tracking.mail.models import Notification

    session.rollback()  # nothing written yet in this transaction
    with app.app_context():
        outbox.enqueue(
            session,
            brand="sakura-tea",
            kind="shipped",
            dedupe_key="rolled-back-mail",
            to="buyer@example.com",
            subject="s",
            body="b",
        )
    session.rollback()
    gone = session.exec(
        select(Notification).where(Notification.dedupe_key == "rolled-back-mail")
    ).first()
    assert gone is None


def test_savepoints_go_through_tracking_db_savepoint():
    """A plain ``begin_nested`` brings back the SQLite commit-on-release above."""

    root = ROOT
    plain = [
        str(path.relative_to(root))
        for folder in ("tracking", "carriers")
        for path in (root / folder).rglob("*.py")
        if path.name != "db.py" and "begin_nested(" in path.read_text(encoding="utf-8")
    ]
    assert plain == []
