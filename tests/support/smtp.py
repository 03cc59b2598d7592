"""A real SMTP server for the mail tests (aiosmtpd), which can answer 4xx/5xx on demand."""

from __future__ import annotations

import logging
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """Keeps every message that arrived; ``answers`` are replies to DATA, used up in order.

    No properties here: aiosmtpd runs ``inspect.getmembers`` over the handler on every new
    connection, which evaluates each property — a ``messages`` property parsing every stored
    mail made each connection slower than the last (the 2,000-mail test timed out on it)."""

    def __init__(self):
        self.envelopes = []
        self.answers: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.answers:
                return self.answers.pop(0)
            self.envelopes.append(envelope)
        return "250 OK"


class SmtpServer:
    def __init__(self, **kwargs):
        self.port = free_port()
        self.handler = Recorder()
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            **kwargs,
        )

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            envelopes = list(self.handler.envelopes)
        return [message_from_bytes(e.content, policy=policy.default) for e in envelopes]

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def parts(msg: EmailMessage) -> dict[str, str]:
    """{"text/plain": …, "text/html": …} of a multipart/alternative mail."""
    return {p.get_content_type(): p.get_content() for p in msg.walk() if not p.is_multipart()}
