"""How a mail leaves: the SMTP server a brand's mail goes through in each mail mode (the brand's
``[mail.smtp]`` or ``SMTP_URL``; Rakuten mode: ``[mail.rakuten_mode.smtp]``), the message built from an outbox row (headers, both parts), and what an SMTP failure
means for a retry. The outbox (``tracking.mail.outbox``) decides what to send and when."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from urllib.parse import unquote, urlparse

from flask import current_app

from tracking.brands.brand import Brand
from tracking.mail import modes
from tracking.mail.models import Notification
from tracking.timeutil import as_utc


def domain() -> str:
    return urlparse(current_app.config["BASE_URL"]).hostname or "localhost"


@dataclass(frozen=True)
class Transport:
    host: str
    port: int
    starttls: bool = False
    ssl: bool = False
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> Transport:
        parts = urlparse(url)
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if implicit else 25),
            starttls=parts.scheme == "smtp+starttls",
            ssl=implicit,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password or "") if parts.username else None,
        )

    def connect(self) -> smtplib.SMTP:
        context = current_app.config.get("MAIL_TLS_CONTEXT") or ssl.create_default_context()
        if self.ssl:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, local_hostname=domain(), timeout=15, context=context
            )
        else:  # our own name in EHLO: smtplib would otherwise do a slow reverse lookup
            conn = smtplib.SMTP(self.host, self.port, local_hostname=domain(), timeout=15)
        if self.starttls:
            conn.starttls(context=context)
        if self.user:
            conn.login(self.user, self.password or "")
        return conn


def transport_for(brand: Brand | None, mode: str = modes.NORMAL) -> Transport | None:
    """The server ``mode``'s mail of ``brand`` goes through: Rakuten's relay, the brand's own
    server (``[mail.smtp]``) or ``SMTP_URL``; None means capture only."""
    cfg = current_app.config
    smtp = modes.smtp_settings(brand, mode)
    if smtp is not None:
        env = cfg["SMTP_SECRETS"]
        return Transport(
            host=smtp.host,
            port=smtp.port,
            starttls=smtp.starttls,
            ssl=smtp.ssl,
            user=env.get(smtp.user_env) if smtp.user_env else None,
            password=env.get(smtp.password_env) if smtp.password_env else None,
        )
    return Transport.from_url(cfg["SMTP_URL"]) if cfg.get("SMTP_URL") else None


def check_brands(brands: dict[str, Brand], secrets_env: dict[str, str]) -> list[str]:
    """Problems that must stop start-up: a brand's SMTP secret not in the environment."""
    return modes.check_secrets(brands, secrets_env)


def sender(brand: Brand | None, locale: str, mode: str = modes.NORMAL) -> tuple[str, str]:
    """(From, Reply-To) header values for a brand's mail in ``mode`` (Rakuten's relay takes
    only the address registered in RMS)."""
    default_name, default_addr = parseaddr(current_app.config["MAIL_FROM"])
    if brand is None:
        return formataddr((default_name, default_addr)), ""
    cfg = brand.mail
    address = str(cfg.from_address or default_addr)
    from_name = cfg.from_name
    if mode == modes.RAKUTEN and cfg.rakuten_mode is not None:
        address = str(cfg.rakuten_mode.from_address)
        from_name = cfg.rakuten_mode.from_name or from_name
    name = from_name.get(locale, brand.default_locale) if from_name else ""
    name = name or brand.display_name(locale)
    return formataddr((name, address)), str(brand.support.email)


def build_message(
    note: Notification, brand: Brand | None, now: datetime, unsubscribe: str | None = None
) -> EmailMessage:
    msg = EmailMessage()
    from_header, reply_to = sender(brand, note.locale, note.mail_mode)
    msg["From"] = from_header
    msg["To"] = note.to_address
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = note.subject
    msg["Date"] = format_datetime(as_utc(now))
    msg["Message-ID"] = note.message_id or make_msgid("todoku", domain=domain())
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(note.body_text)
    if note.body_html:
        msg.add_alternative(note.body_html, subtype="html")
    return msg


def smtp_error(exc: Exception) -> tuple[bool, str]:
    """(permanent?, words) for an SMTP failure: 5xx is permanent, 4xx and I/O are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        words = "; ".join(f"{code} {msg!r}" for code, msg in exc.recipients.values())
        return all(code >= 500 for code in codes), words
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return exc.smtp_code >= 500, f"{exc.smtp_code} {text}".strip()
    return False, f"{type(exc).__name__}: {exc}"


def smtp_kind(exc: Exception) -> str:
    """What a log line says of an SMTP failure: the exception's type and the reply codes,
    never the server's text (it quotes addresses and account names)."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"{name} " + ",".join(str(code) for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{name} {exc.smtp_code}"
    return name


# Test seams: a crash right before or right after handing a mail to the server.
