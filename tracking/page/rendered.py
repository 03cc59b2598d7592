"""The tracking page rendered once per change: its key, its cached entry and the per-visitor
parts filled in after the lookup (the store is ``page.cache``).

**Key.** Everything the bytes depend on: the order (brand, public id, the link's token) at its
data version (``orders.versions``: every writer bumps it), the locale, the brand's
configuration (a fingerprint of the loaded brand, so an edited brand file is a new key), the
shop's local date (day wording, return windows, the reply-by day, banners by date), the page or
its live ``#status`` fragment, the refresh cadence, and the code (templates, static files,
catalogues, Python: a deploy never serves the old release's bytes from a shared Redis). Reading
it costs one query (the version); the version is read *before* the page's data, so a write that
lands between them can only file newer bytes under the older key, never the reverse.

**Time.** What changes with time alone sets the entry's expiry instead: the shop's midnight, the
moment a failing carrier's parcel turns into an "outage" notice, and an hour for orders with
unshipped items (their estimate reads learned lanes, which other orders' deliveries change).

**Per-visitor parts** are rendered as placeholders (a random marker per entry, stored with it)
and replaced on every serve: the CSRF token of the feedback and question forms, the CSP nonce
of the brand colours, and the page-view token (a fresh view id per page view; it carries the
status the page showed, kept in the entry, and how the visitor came). The ``#status`` fragment
has none, so its bytes are shared whole and it carries a strong ``ETag`` (``State.etag``).

Never cached: error re-renders (form state), ``?asked=`` confirmations, pages rendered by a
session that has written (its transaction may still roll back; ``versions.BUMPED``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from markupsafe import escape
from sqlalchemy import bindparam, column, select, table
from sqlalchemy.engine import Connection
from sqlmodel import Session

from tracking.brands.brand import Brand
from tracking.config import ROOT
from tracking.orders import versions
from tracking.page import gzipped
from tracking.page.view import OrderView
from tracking.timeutil import utcnow

PAGE, STATUS = "page", "status"
UNSHIPPED_TTL = timedelta(hours=1)

_ORDERS = table(
    "orders", column("id"), column("brand"), column("public_id"), column("data_version")
)
# Built once: the warm view's one query (building the statement cost as much as running it).
_STATE = select(_ORDERS.c.id, _ORDERS.c.data_version).where(
    _ORDERS.c.brand == bindparam("brand"), _ORDERS.c.public_id == bindparam("public_id")
)
_CODE: list[str] = []
_BRANDS: dict[int, tuple[Brand, str]] = {}


def code_version() -> str:
    """A hash of what renders the page besides the data: templates, static files, catalogues
    and the Python code. Computed once per process."""
    if not _CODE:
        digest = hashlib.blake2b(digest_size=8)
        for base, pattern in (
            ("templates", "**/*"),
            ("static", "**/*"),
            ("tracking", "**/*.py"),
            ("tracking/translations", "**/*.po"),
            ("carriers", "**/*.py"),
        ):
            for path in sorted((ROOT / base).glob(pattern)):
                if path.is_file():
                    digest.update(str(path.relative_to(ROOT)).encode())
                    digest.update(path.read_bytes())
        _CODE.append(digest.hexdigest())
    return _CODE[0]


def brand_version(brand: Brand) -> str:
    """A fingerprint of a loaded brand's whole configuration (a reloaded, edited file is a new
    ``Brand``, hence a new fingerprint). Kept per brand object."""
    known = _BRANDS.get(id(brand))
    if known is not None and known[0] is brand:
        return known[1]
    if len(_BRANDS) > 256:
        _BRANDS.clear()
    fingerprint = hashlib.blake2b(brand.model_dump_json().encode(), digest_size=8).hexdigest()
    _BRANDS[id(brand)] = (brand, fingerprint)
    return fingerprint


@dataclass(frozen=True)
class State:
    """An order's page as of now, before anything is rendered."""

    order_id: int
    parts: tuple

    def key(self, kind: str) -> str:
        return hashlib.sha256(repr((kind, *self.parts)).encode()).hexdigest()

    @property
    def etag(self) -> str:
        """The ``#status`` fragment's strong ETag: from its key, never from its bytes."""
        return f'"{self.key(STATUS)[:32]}"'


def state(
    connection: Connection,
    brand: Brand,
    public_id: str,
    token: str,
    *,
    locale: str,
    refresh_seconds: int,
    now: datetime | None = None,
) -> State | None:
    """The page's state in one query; None when the brand has no such order."""
    params = {"brand": brand.slug, "public_id": public_id}
    row = connection.execute(_STATE, params).first()
    if row is None:
        return None
    today = (now or utcnow()).astimezone(brand.tz).date()
    token_hash = hashlib.sha256(token.encode()).hexdigest()[:16]
    parts = (
        code_version(),
        brand.slug,
        brand_version(brand),
        public_id,
        token_hash,
        row.data_version,
        locale,
        today.isoformat(),
        refresh_seconds,
    )
    return State(row.id, parts)


def cacheable(session: Session) -> bool:
    """False once this session has written rows of an order in its open transaction."""
    return not session.info.get(versions.BUMPED)


def expires_at(brand: Brand, view: OrderView, now: datetime | None = None) -> float:
    """When the page would change with no write: the shop's next midnight, a parcel's outage
    notice appearing, an hour for unshipped items (their estimate)."""
    now = now or utcnow()
    local = now.astimezone(brand.tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=brand.tz)
    moments = [midnight]
    if view.unshipped:
        moments.append(now + UNSHIPPED_TTL)
    moments += [t for p in view.parcels if (t := p.outage_starts()) is not None and t > now]
    return min(moments).timestamp()


# Per-visitor part → the template value that fills it.
_PARTS = {"csrf": "csrf_token", "nonce": "csp_nonce", "view": "view_token"}


@dataclass
class Entry:
    marker: str
    status: str  # the status the page shows, signed into each view token
    body: str
    expires_at: float
    # The body's shared text between placeholders, each deflated (``page.gzipped``); made on
    # first need and stored with the entry, so a cached page is never compressed whole again.
    deflated: list[bytes] | None = None

    def pieces(self) -> list[str]:
        """The body split at its placeholders: shared text at even places, placeholders at odd."""
        return re.split(f"({re.escape(self.marker)}(?:{'|'.join(_PARTS)}))", self.body)

    def deflated_pieces(self) -> list[bytes]:
        if self.deflated is None:
            self.deflated = [gzipped.deflate(t.encode()) for t in self.pieces()[::2]]
        return self.deflated

    def dumps(self) -> bytes:
        deflated = self.deflated_pieces()
        body = self.body.encode()
        sizes = " ".join(str(len(d)) for d in deflated)
        head = f"{self.expires_at}\n{self.marker}\n{self.status}\n{len(body)}\n{sizes}\n"
        return b"".join((head.encode(), body, *deflated))

    @classmethod
    def loads(cls, raw: bytes) -> Entry:
        expires, marker, status, length, sizes, rest = raw.split(b"\n", 5)
        n = int(length)
        deflated, at = [], n
        for size in map(int, sizes.split()):
            deflated.append(rest[at : at + size])
            at += size
        entry = cls(marker.decode(), status.decode(), rest[:n].decode(), float(expires))
        entry.deflated = deflated
        return entry


def new_marker() -> str:
    return "tdk" + secrets.token_hex(8)


def placeholders(marker: str) -> dict:
    """Template values that stand in for the per-visitor parts while rendering for the cache."""
    return {
        "csrf_token": lambda: marker + "csrf",
        "csp_nonce": lambda: marker + "nonce",
        "view_token": marker + "view",
    }


def fill(entry: Entry, **values: Callable[[], str]) -> tuple[str, Callable[[bytes], bytes | None]]:
    """The entry's text with each placeholder (``csrf_token``, ``csp_nonce``, ``view_token``)
    replaced by its value for this visitor, a value made only when the page holds it (no
    session cookie for a page without a form); and a function that answers the same text
    gzipped from the entry's deflated pieces (``page.gzipped``), for ``web.compress``: given
    the response's body, None unless that body is still this text."""
    pieces = entry.pieces()
    made: dict[str, str] = {}
    for placeholder in pieces[1::2]:
        if placeholder not in made:
            name = _PARTS[placeholder[len(entry.marker) :]]
            made[placeholder] = str(escape(values[name]()))
    text = "".join(made.get(p, p) if i % 2 else p for i, p in enumerate(pieces))

    def gzip_body(data: bytes) -> bytes | None:
        plain = text.encode()
        if data != plain:  # changed after the fill: compressed as any other body
            return None
        shared = entry.deflated_pieces()
        own = {p: gzipped.deflate(v.encode()) for p, v in made.items()}
        parts = [own[p] if i % 2 else shared[i // 2] for i, p in enumerate(pieces)]
        return gzipped.join(parts, plain)

    return text, gzip_body
