"""Standard Webhooks signatures (spec v1.0.0, symmetric): ``webhook-signature: v1,<base64 of
HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>``, the secret shown as ``whsec_`` + base64.

A ``secret_env`` variable may hold several secrets separated by spaces while the shop rotates
one: each signs, and the header carries every signature (receivers accept any match)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

from tracking.brands.brand import Brand
from tracking.brands.problems import N_, Problem, staff_language, translations

PREFIX = "whsec_"
#: The spec's bounds on a symmetric secret (bytes, after base64).
MIN_BYTES, MAX_BYTES = 24, 64


class BadSecret(ValueError):
    """The variable's value is not a ``whsec_`` secret; the text is a msgid (``check_brands``
    translates it)."""

    def __init__(self, msgid: str, **params: object):
        self.msgid, self.params = msgid, params
        super().__init__(msgid % params if params else msgid)


def decode(secret: str) -> bytes:
    """The key bytes of one ``whsec_…`` value (``BadSecret`` when it is not one)."""
    if not secret.startswith(PREFIX):
        raise BadSecret(N_("does not start with whsec_"))
    try:
        key = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise BadSecret(N_("is not base64 after whsec_")) from None
    if not MIN_BYTES <= len(key) <= MAX_BYTES:
        raise BadSecret(N_("holds %(n)s bytes"), n=len(key))
    return key


def keys(value: str | None) -> list[bytes]:
    """Every key of a variable's value (several during a rotation); ``BadSecret`` on any bad
    one, or when there is none."""
    parts = (value or "").split()
    if not parts:
        raise BadSecret(N_("is not set"))
    return [decode(p) for p in parts]


def signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` entry."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(keys_: list[bytes], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one attempt: the id (the same on every retry), this attempt's time and
    the signature of each key, space-separated."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(k, msg_id, timestamp, body) for k in keys_),
        "Content-Type": "application/json",
    }


BAD_SECRET = N_("$%(variable)s %(detail)s: set it to whsec_ followed by base64 of 24-64 bytes")


def check_brands(
    brands: Mapping[str, Brand], env: Mapping[str, str], lang: str | None = None
) -> list[str]:
    """Problems that must stop start-up: a secret a brand's ``[[webhooks]]`` names missing from
    the environment or not a ``whsec_`` value (one line each, in the staff member's language)."""
    lang = lang or staff_language()
    problems = []
    for slug, brand in brands.items():
        for i, endpoint in enumerate(brand.webhooks):
            try:
                keys(env.get(endpoint.secret_env))
            except BadSecret as exc:
                detail = translations(lang).gettext(exc.msgid)
                detail = detail % exc.params if exc.params else detail
                params = {"variable": endpoint.secret_env, "detail": detail}
                problem = Problem(f"brand {slug!r}", f"webhooks.{i}.secret_env", BAD_SECRET, params)
                problems.append(problem.line(lang))
    return problems
