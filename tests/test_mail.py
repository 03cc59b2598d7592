"""The outbox: one mail per event, delivered over a real SMTP server when configured."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from sqlmodel import select

from tracking.mail import outbox as mail
from tracking.mail.models import Notification


def _queue(session, key="inquiry:1", to="shop@example.com"):
    return mail.enqueue(
        session,
        brand="sakura-tea",
        kind="inquiry",
        dedupe_key=key,
        to=to,
        subject="件名",
        body="本文です",
        locale="ja",
    )


def test_enqueue_is_idempotent_per_dedupe_key(session):
    first = _queue(session)
    again = _queue(session)
    session.commit()
    assert first.id == again.id
    assert len(session.exec(select(Notification)).all()) == 1


def test_without_smtp_mail_stays_in_the_outbox(session):
    _queue(session)
    session.commit()
    assert mail.deliver_pending(session, None, "shop@example.com") == 0
    assert session.exec(select(Notification.status)).one() == "queued"


class Recorder(Sink):
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", handler
    controller.stop()


def test_delivery_over_real_smtp(session, smtp_server):
    url, handler = smtp_server
    _queue(session, "a", "one@example.com")
    _queue(session, "b", "two@example.com")
    session.commit()
    assert mail.deliver_pending(session, url, "Todoku <no-reply@example.com>") == 2
    assert sorted(m.rcpt_tos[0] for m in handler.messages) == ["one@example.com", "two@example.com"]
    assert (
        "本文です".encode() in handler.messages[0].content
        or b"utf-8" in handler.messages[0].content
    )
    assert set(session.exec(select(Notification.status)).all()) == {"sent"}
    assert mail.deliver_pending(session, url, "x@example.com") == 0  # nothing twice
