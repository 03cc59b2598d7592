"""Schemathesis over the whole OpenAPI document (issue 20), on SQLite and PostgreSQL, through
the WSGI app with an API key: data that fits the schema and data that does not, then the
stateful run that follows the document's links (an order put → read, parcel, link; the returns
queue → a transition → the next). No server error, every answer in the documented shape, and a
refused call stores nothing. Then hostile path parts and query values from
tests/support/fuzz.py, which schemathesis' generators rarely write (NUL, lone surrogates,
numbers past every column, dates at the calendar's edges)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import example, given
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from tests.support.fuzz import (
    Picks,
    encode,
    form_body,
    fuzz_settings,
    hostile_text,
    stored_between,
    table_counts,
)
from tracking.db import get_engine
from tracking.staff.api_keys import create_api_key

# Stored on purpose for a refused call: an Idempotency-Key keeps its first answer, 4xx included,
# so that a replay gets the same answer; the key's "last used" is an update, not a row.
KEPT_WHEN_REFUSED = {"intake_receipts"}
STATELESS_EXAMPLES = 6
STATEFUL_EXAMPLES = 6
STATEFUL_STEPS = 6
HOSTILE_EXAMPLES = 3
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "API_RATE_LIMIT": "100000 per minute"}


@pytest.fixture
def headers(app, session, demo):
    with app.app_context():
        key = create_api_key(session, "sakura-tea", "fuzz")
    # Schemathesis asks for compressed answers as requests does (gzip, br), but calls the app
    # through WSGI, where nothing decodes them: the API's JSON would reach its checks as bytes.
    return {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}


@pytest.fixture
def api_schema(app, headers):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


class Refusals:
    """Counts the tables around each call and fails a refused call that stored a row."""

    def __init__(self, app):
        self.engine = get_engine(app)
        self.before: dict[str, int] = {}
        self.statuses: dict[int, int] = {}

    def before_call(self):
        self.before = table_counts(self.engine)

    def after_call(self, status: int, what):
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 400:
            stored = stored_between(self.before, table_counts(self.engine))
            stored = {t: n for t, n in stored.items() if t not in KEPT_WHEN_REFUSED}
            assert not stored, (what, status, stored)


def _fuzz_operation(operation, mode, headers, refusals):
    # Data outside the schema is answered, never with a 500; data inside it in the documented
    # shape too.
    wanted = CHECKS if mode == GenerationMode.POSITIVE else CHECKS[:1]

    @fuzz_settings(STATELESS_EXAMPLES)
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        refusals.before_call()
        response = case.call(headers=headers)
        case.validate_response(response, checks=wanted, headers=headers)
        refusals.after_call(response.status_code, case.as_curl_command())

    check()


def test_every_operation_survives_data_in_and_out_of_its_schema(app, api_schema, headers):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 7
    refusals = Refusals(app)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, headers, refusals)
    assert refusals.statuses.get(422) and refusals.statuses.get(200)


def test_stateful_links_find_no_server_error(app, api_schema, headers):
    refusals = Refusals(app)
    machine = api_schema.as_state_machine()
    assert {"PutOrder", "GetOrder", "PostTransition"} <= {
        name.split(" -> ")[-1].split(" ")[0] for name in _link_names(api_schema)
    }

    class Links(machine):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def before_call(self, case):
            refusals.before_call()

        def after_call(self, response, case):
            refusals.after_call(response.status_code, case.as_curl_command())

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, headers=headers)

    settings = fuzz_settings(STATEFUL_EXAMPLES)
    settings = type(settings)(settings, stateful_step_count=STATEFUL_STEPS)
    Links.run(settings=settings)
    assert refusals.statuses.get(200), refusals.statuses


def _link_names(api_schema) -> list[str]:
    document = api_schema.raw_schema
    names = []
    for path in document["paths"].values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for answer in operation.get("responses", {}).values():
                names.extend(answer.get("links", {}))
    return names


ORDER = {"email": "a@example.com", "items": [{"sku": "A", "name": "A"}]}
API_PATHS = (
    ("GET", "/api/v1/orders/{}", None),
    ("PUT", "/api/v1/orders/{}", ORDER),
    ("POST", "/api/v1/orders/{}/link", None),
    ("POST", "/api/v1/orders/{}/shipments", {"carrier": "yamato", "tracking_number": "1"}),
    ("POST", "/api/v1/returns/{}/transitions", {"action": "approve", "version": 1}),
)
QUERIES = {
    "/api/v1/orders": ("status", "updated_since", "cursor", "limit"),
    "/api/v1/returns": ("status", "q"),
}


def _fuzz_path(client, headers, refusals, picks, method, template, body):
    door, past = picks.next()

    @fuzz_settings(HOSTILE_EXAMPLES)
    @example(value=door)
    @example(value=past)
    @given(value=hostile_text())
    def path_part(value):
        url = template.format(encode(value))
        refusals.before_call()
        r = client.open(url, method=method, json=body, headers=headers)
        assert r.status_code < 500, (method, url, r.status_code)
        refusals.after_call(r.status_code, url)

    path_part()


def _fuzz_query(client, headers, refusals, picks, path, names):
    door, past = picks.next()

    @fuzz_settings(HOSTILE_EXAMPLES * len(names))
    @example(query={names[-1]: door})
    @example(query=dict.fromkeys(names, past))
    @given(query=st.dictionaries(st.sampled_from(names), hostile_text(), min_size=1))
    def query_value(query):
        url = f"{path}?{form_body({k: [v] for k, v in query.items()}).decode()}"
        refusals.before_call()
        r = client.get(url, headers=headers)
        assert r.status_code < 500, (url, r.status_code)
        if r.status_code >= 400:
            assert r.json["error"]["code"], (url, r.json)
        refusals.after_call(r.status_code, url)

    query_value()


def test_hostile_path_parts_and_query_values_are_refused_cleanly(app, client, headers):
    refusals, picks = Refusals(app), Picks()
    for method, template, body in API_PATHS:
        _fuzz_path(client, headers, refusals, picks, method, template, body)
    for path, names in QUERIES.items():
        _fuzz_query(client, headers, refusals, picks, path, names)
    assert refusals.statuses.get(400) and refusals.statuses.get(404)
