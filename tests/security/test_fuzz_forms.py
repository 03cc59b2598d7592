"""Hypothesis over every form, query parameter and path part of the pages (issue 20): hostile
values (NUL and control characters, lone surrogates, integers past every column, dates at the
calendar's edges, long and odd unicode) never give a server error, and a refused request (any
4xx) stores nothing. On SQLite and PostgreSQL.

The surface is read from the app itself: its URL map, and the forms and links of its own pages
crawled from the demo (customer pages through a signed order link, staff pages as the owner),
so a new form or parameter is fuzzed without being listed here.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlmodel import select

from tests.support.fuzz import (
    FORM,
    Form,
    Picks,
    crawl,
    encode,
    form_body,
    fuzz_settings,
    hostile_text,
    stored_between,
    table_counts,
)
from tracking.db import get_engine
from tracking.mail.unsubscribe import unsubscribe_url
from tracking.orders.models import Order
from tracking.returns.links import return_token
from tracking.returns.models import ReturnRequest
from tracking.security import order_token

ROOT = Path(__file__).resolve().parents[2]
BRAND = "sakura-tea"
OWNER = "owner@sakura-tea.example"
PASSWORD = "todoku-demo-staff"
# Examples per form, per page's query string and per path part: the whole module stays within
# a few seconds per database.
# Each surface also gets two fixed values (tests.support.fuzz.Picks): one the door refuses, one
# it lets through.
FORM_EXAMPLES = 8
QUERY_EXAMPLES = 3
PATH_EXAMPLES = 2
# Names the code reads from a query string or a form, so a field no page shows is tried too.
_READS = re.compile(
    r"(?:args|form|values)\.get(?:list)?\(\s*\"(\w+)\"|args\[\"(\w+)\"\]|query_time\(\"(\w+)\"\)"
)
# Fuzzed last: they sign the owner out or switch an account off, which ends the staff pages.
LAST = ("admin.logout", "dashboard.toggle_staff")


def _names_read_by_the_code() -> list[str]:
    found: set[str] = set()
    for path in (ROOT / "tracking").rglob("*.py"):
        for match in _READS.finditer(path.read_text()):
            found.add(next(g for g in match.groups() if g))
    return sorted(found)


READ_NAMES = _names_read_by_the_code()


@pytest.fixture
def app_config(app_config):
    # Limits would answer 429 before the view reads anything; the fuzzers want the views.
    return {**app_config, "RATELIMIT_ENABLED": False}


# The crawl per database (the demo, its ids and its signed links are the same in every copy).
_CRAWLED: dict[str, tuple] = {}


@pytest.fixture
def surface(app, client, session, dashboard_history, database_url):
    """The owner signed in, then every page reachable from the demo's entry points: concrete
    paths per endpoint and every form on them."""
    signed_in = client.post("/admin/login", data={"email": OWNER, "password": PASSWORD})
    assert signed_in.status_code == 303
    backend = database_url.split(":")[0]
    if backend not in _CRAWLED:
        _CRAWLED[backend] = _crawl(app, client, session)
    return _CRAWLED[backend]


def _crawl(app, client, session):
    orders = session.exec(select(Order).where(Order.brand == BRAND)).all()
    returned = session.exec(select(ReturnRequest).where(ReturnRequest.brand == BRAND)).first()
    with app.test_request_context():
        starts = [
            "/",
            f"/{BRAND}/",
            "/healthz",
            *(f"/{BRAND}/o/{order_token(BRAND, o.public_id)}" for o in orders[:3]),
            f"/{BRAND}/r/{return_token(BRAND, returned.public_id)}",
            urlsplit(unsubscribe_url(BRAND, orders[0].public_id)).path,
            "/admin/login",
            "/admin/",
            f"/admin/{BRAND}/",
            f"/admin/{BRAND}/inquiries?state=all",
        ]
    return crawl(client, starts, adapter=app.url_map.bind("localhost"))


def _endpoint(app, path: str, method: str) -> str | None:
    try:
        return app.url_map.bind("localhost").match(path, method=method)[0]
    except Exception:  # noqa: BLE001 - a 404/405 path
        return None


class Recorder:
    """Sends one request, asserts no server error, and that a refused one stored nothing."""

    def __init__(self, app, client):
        self.engine = get_engine(app)
        self.client = client
        self.sent = 0
        self.statuses: dict[int, int] = {}

    def send(self, method: str, url: str, body: bytes | None = None):
        before = table_counts(self.engine)
        kwargs = {"data": body, "content_type": FORM} if body is not None else {}
        r = self.client.open(url, method=method, **kwargs)
        self.sent += 1
        self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
        assert r.status_code < 500, (method, url, body, r.status_code)
        if r.status_code >= 400:
            stored = stored_between(before, table_counts(self.engine))
            assert not stored, (method, url, body, r.status_code, stored)
        return r


def _fuzz_form(rec: Recorder, form: Form, picks: Picks):
    url = form.action.split("#")[0]
    own = {k: v for k, v in form.fields.items() if k != "csrf_token"}
    names = list(own) + [n for n in READ_NAMES if n not in own]
    door, past = picks.next()

    @fuzz_settings(FORM_EXAMPLES)
    @example(chosen=names[:1], values=[door, "", ""])
    @example(chosen=names[:3], values=[past, past, past])
    @given(
        chosen=st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True),
        values=st.lists(hostile_text(), min_size=3, max_size=3),
    )
    def fuzz(chosen, values):
        fields = {k: list(v) for k, v in own.items()}
        for name, value in zip(chosen, values, strict=False):
            fields[name] = [value]
        if form.method == "GET":
            query = form_body(fields).decode()
            rec.send("GET", f"{url.split('?')[0]}?{query}")
        else:
            rec.send("POST", url, form_body(fields))

    fuzz()


def test_every_form_survives_hostile_fields(app, client, surface):
    paths, forms = surface
    rec, picks = Recorder(app, client), Picks()
    by_endpoint = {}
    for form in forms:
        path = urlsplit(form.action).path
        endpoint = _endpoint(app, path, form.method)
        if endpoint is not None:
            by_endpoint.setdefault(endpoint, []).append(form)
    # POST handlers no crawled page showed a form for (an empty queue, a mail that did not
    # fail): their path from the URL map, filled like the crawled ones, with read names only.
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint not in by_endpoint:
            path = _fill(rule, _known_args(paths, by_endpoint, app))
            by_endpoint[rule.endpoint] = [Form(action=path, method="POST")]
    order = sorted(by_endpoint, key=lambda e: (e in LAST, LAST.index(e) if e in LAST else 0))
    for endpoint in order:
        if endpoint.startswith(("api.", "carrier_hooks.", "shop_hooks.")):
            continue  # the JSON API and the webhooks have their own fuzzers
        for form in by_endpoint[endpoint]:
            _fuzz_form(rec, form, picks)
    fuzzed = {e for e in by_endpoint if not e.startswith(("api.", "carrier_hooks.", "shop_hooks."))}
    assert {"portal.lookup", "returns.submit_return", "admin.do_transition"} <= fuzzed
    assert rec.sent >= len(fuzzed) * FORM_EXAMPLES // 2
    assert rec.statuses.get(400), "nothing was refused at the door: the values are not hostile"


def _known_args(paths, by_endpoint, app) -> dict[str, str]:
    """One real value per converter name (a real token, RMA, id), from the crawled pages."""
    known: dict[str, str] = {}
    for found in paths.values():
        for _path, args in found:
            for name, value in args.items():
                known.setdefault(name, str(value))
    adapter = app.url_map.bind("localhost")
    for forms in by_endpoint.values():
        for form in forms:
            try:
                _, args = adapter.match(urlsplit(form.action).path, method=form.method)
            except Exception:  # noqa: BLE001
                continue
            for name, value in args.items():
                known.setdefault(name, str(value))
    return known


_PART = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _fill(rule, args: dict[str, str], hostile: tuple[str, str] | None = None) -> str:
    def part(match):
        name = match[1]
        if hostile and hostile[0] == name:
            return encode(hostile[1])
        return encode(args.get(name, "1"))

    return _PART.sub(part, rule.rule)


def _fuzz_query(rec: Recorder, path: str, picks: Picks):
    door, past = picks.next()
    name = READ_NAMES[len(path) % len(READ_NAMES)]

    @fuzz_settings(QUERY_EXAMPLES)
    @example(query={name: door})
    @example(query={name: past, "lang": past})
    @given(
        query=st.dictionaries(
            st.sampled_from([*READ_NAMES, "lang", "page"]), hostile_text(), min_size=1, max_size=3
        )
    )
    def fuzz(query):
        rec.send("GET", f"{path}?{form_body({k: [v] for k, v in query.items()}).decode()}")

    fuzz()


def test_every_query_parameter_survives_hostile_values(app, client, surface):
    paths, _forms = surface
    rec, picks = Recorder(app, client), Picks()
    pages = {e: found[0][0] for e, found in paths.items() if e != "static"}
    for _endpoint_name, path in sorted(pages.items()):
        _fuzz_query(rec, path, picks)
    assert len(pages) >= 25
    assert rec.statuses.get(400)


def _fuzz_path(rec: Recorder, rule, method: str, known, body: bytes | None, picks: Picks):
    door, past = picks.next()
    names = sorted(rule.arguments)

    @fuzz_settings(PATH_EXAMPLES * len(rule.arguments))
    @example(name=names[-1], value=door)
    @example(name=names[-1], value=past)
    @given(name=st.sampled_from(sorted(rule.arguments)), value=hostile_text())
    def fuzz(name, value):
        rec.send(method, _fill(rule, known, (name, value)), body)

    fuzz()


def test_every_path_part_survives_hostile_values(app, client, surface):
    paths, forms = surface
    rec, picks = Recorder(app, client), Picks()
    by_endpoint: dict[str, list[Form]] = {}
    for form in forms:
        endpoint = _endpoint(app, urlsplit(form.action).path, form.method)
        if endpoint:
            by_endpoint.setdefault(endpoint, []).append(form)
    known = _known_args(paths, by_endpoint, app)
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in LAST, r.rule))
    fuzzed = 0
    for rule in rules:
        if not rule.arguments or rule.endpoint.startswith("api."):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            baseline = by_endpoint.get(rule.endpoint, [Form(action="", method=method)])[0]
            body = form_body(baseline.fields) if method == "POST" else None
            _fuzz_path(rec, rule, method, known, body, picks)
            fuzzed += 1
    assert fuzzed >= 40
    assert rec.statuses.get(404) and rec.statuses.get(400)
