"""What the fuzzers of tests/security/ share: hostile values, requests built byte by byte (so a
lone surrogate or a NUL reaches the app as an attacker would send it), the app's surface read
from its own pages, and a count of every table to show that a refused request stored nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes, urlsplit

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import SQLModel

# Refused at the door (tracking.normalize): NUL and other control characters, lone surrogates.
AT_THE_DOOR = [
    "\x00",
    "ST-1001\x00",
    "a\x00b",
    "\x1b[2J",
    "\x07\x08",
    "\x7f",
    "\ud800",
    "x\udfffy",
    "\x0b\x0c",
]
# Let through the door: each must then be answered (a 4xx or a page), never a 500.
PAST_THE_DOOR = [
    "",
    " ",
    "0",
    "-1",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "1e309",
    "NaN",
    "-0",
    "0001-01-01",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31",
    "9999-12-31T23:59:59+14:00",
    "0000-00-00",
    "2025-02-30",
    "1969-12-31T23:59:59Z",
    "A" * 300,
    "長" * 2_000,
    "9" * 5_000,
    "🦀" * 100,
    "\u202eevil\u202c",
    "\ufeffBOM",
    "ｓａｋｕｒａ",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "../../etc/passwd",
    "%00",
    "[" * 1_500 + "]" * 1_500,
    '{"a": [1, 2]}',
    "null",
    "line\r\nbreak",
    "tab\there",
    "victim@example.com,attacker@example.com",
    "a@b.c;d@e.f",
    "ST-1001",
    "on",
]


def _iso(value) -> str:
    return value.isoformat()


def hostile_text() -> st.SearchStrategy[str]:
    """One value a form field, query parameter or path part may be given."""
    return st.one_of(
        st.sampled_from(PAST_THE_DOOR + AT_THE_DOOR),
        # Any code point, surrogates and controls included.
        st.text(st.characters(exclude_categories=()), max_size=24),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.dates().map(_iso),
        st.datetimes(timezones=st.just(UTC)).map(_iso),
    )


class Picks:
    """Fixed hostile values handed out in turn, one of each kind per fuzzed surface (as
    hypothesis ``@example``s), so that every value is tried somewhere however few examples
    hypothesis itself draws."""

    def __init__(self):
        self._turn = 0

    def next(self) -> tuple[str, str]:
        """(a value the door refuses, a value it lets through)."""
        self._turn += 1
        door = AT_THE_DOOR[self._turn % len(AT_THE_DOOR)]
        return door, PAST_THE_DOOR[self._turn % len(PAST_THE_DOOR)]


def fuzz_settings(examples: int) -> settings:
    """Few examples, deterministic (a failure shows again on the next run), no deadline (the
    machine is shared) and no example database written into the checkout."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


def encode(value: str) -> str:
    """Percent-encoded UTF-8, lone surrogates kept as their (invalid) three bytes."""
    return quote_from_bytes(value.encode("utf-8", "surrogatepass"), safe="")


def form_body(fields: dict[str, list[str]] | list[tuple[str, str]]) -> bytes:
    pairs = fields.items() if isinstance(fields, dict) else [(k, [v]) for k, v in fields]
    return "&".join(f"{encode(k)}={encode(v)}" for k, values in pairs for v in values).encode()


FORM = "application/x-www-form-urlencoded"


def table_counts(engine) -> dict[str, int]:
    """Rows in every table, in one round trip."""
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    columns = ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT {columns}")).one()
    return dict(zip(tables, row, strict=True))


def stored_between(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {t: after[t] - before[t] for t in after if after[t] != before[t]}


# --- the surface, read from the app's own pages ---------------------------------------------


@dataclass
class Form:
    action: str  # path and query, as the page wrote it
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name → values the page put

    def key(self) -> tuple:
        return (self.method, re.sub(r"\d+", "N", urlsplit(self.action).path), tuple(self.fields))


class _PageReader(HTMLParser):
    """Links and forms of one page; each form's fields with the values the page put in them
    (a select: its first option; a checkbox or radio group: its first value)."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("href", "src", "hx-get", "action"):
            if a.get(name):
                self.links.append(a[name])
        if tag == "form":
            method = "POST" if a.get("hx-post") else (a.get("method") or "get").upper()
            action = a.get("action") or a.get("hx-post") or self.page
            self._form = Form(action=action, method=method)
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        if tag == "option" and self._select:
            values = self._form.fields.setdefault(self._select, [])
            if not values:
                values.append(a.get("value") or "")
            return
        if not a.get("name"):
            return
        values = self._form.fields.setdefault(a["name"], [])
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and values:
                return
            values.append(a.get("value") or ("on" if kind in ("checkbox", "radio") else "x"))
        elif tag == "textarea":
            values.append("x")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "button" and a.get("value") and not values:
            values.append(a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def read_page(page: str, html: str) -> tuple[list[str], list[Form]]:
    reader = _PageReader(page)
    reader.feed(html)
    return reader.links, reader.forms


def crawl(client, starts: list[str], limit_per_endpoint: int = 2, adapter=None):
    """GET every page reachable from ``starts`` (same app; at most ``limit_per_endpoint``
    pages per endpoint) → (every concrete path by endpoint, every form found)."""
    paths: dict[str, list[tuple[str, dict]]] = {}
    forms: dict[tuple, Form] = {}
    queue = list(starts)
    seen: set[str] = set()
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc and parts.netloc not in ("localhost", "127.0.0.1"):
            continue
        path = parts.path
        if not path.startswith("/") or url in seen:
            continue
        seen.add(url)
        try:
            endpoint, args = adapter.match(path, method="GET")
        except Exception:  # noqa: BLE001 - not a GET page of this app (a POST target, a 404)
            continue
        known = paths.setdefault(endpoint, [])
        if len(known) >= limit_per_endpoint and (path, args) not in known:
            continue
        if (path, args) not in known:
            known.append((path, args))
        if endpoint == "static":
            continue
        r = client.get(url)
        if not r.content_type.startswith("text/html"):
            continue
        links, found = read_page(url, r.get_data(as_text=True))
        for form in found:
            forms.setdefault(form.key(), form)
        queue.extend(link for link in links if link not in seen)
    return paths, list(forms.values())


__all__ = [
    "AT_THE_DOOR",
    "FORM",
    "PAST_THE_DOOR",
    "Form",
    "Picks",
    "crawl",
    "encode",
    "form_body",
    "fuzz_settings",
    "hostile_text",
    "read_page",
    "stored_between",
    "table_counts",
]
