"""A webhook fuzzer that signs its bodies correctly (issue 20): real Shopify order and
fulfillment payloads and real aggregator payloads (AfterShip, EasyPost, 17TRACK, Ship24) with
one to three values replaced or removed by hostile JSON (wrong types, NUL, lone surrogates as
escapes and as raw bytes, integers past 64 bits, dates at the calendar's edges, deep nesting),
signed as each provider signs. Never a server error, and a refused delivery stores nothing.
On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.orders.test_shopify_hooks import FULFILLMENT, ORDER
from tests.support.fuzz import fuzz_settings, hostile_text, stored_between, table_counts
from tests.sync.test_webhooks import payload
from tests.sync.test_webhooks import sign as sign_aggregator
from tracking.db import get_engine
from tracking.orders.models import Shipment

SHOPIFY_SECRET = "shpss_fuzz"
AGGREGATOR_SECRET = "s3cret-ｗｅｂｈｏｏｋ"  # what tests.sync.test_webhooks.sign signs with
BRAND = "sakura-tea"
PROVIDERS = ("aftership", "easypost", "track17", "ship24")
EXAMPLES = 12
DEEP = "\x00deep\x00"  # stands for 3,000 nested arrays, written into the raw body

hostile_json = st.one_of(
    hostile_text(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**40, 1e308, -0.0, 0.5, True, False, None]),
    st.sampled_from([DEEP, [], {}, [None], {"": None}, ["\x00"], {"\ud800": 1}]),
    st.floats(allow_nan=True, allow_infinity=True),
)


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "SHOPIFY_WEBHOOK_SECRETS": {"SAKURA_TEA": SHOPIFY_SECRET},
        "CARRIER_WEBHOOK_SECRETS": {
            f"SAKURA_TEA_{p.upper()}_WEBHOOK_SECRET": AGGREGATOR_SECRET for p in PROVIDERS
        },
    }


def _paths(document, prefix=()) -> list[tuple]:
    """Every place in the document a value sits (the document itself excluded)."""
    found = []
    items = (
        document.items()
        if isinstance(document, dict)
        else enumerate(document)
        if isinstance(document, list)
        else ()
    )
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


def _mutated(document, changes) -> dict:
    document = json.loads(json.dumps(document))
    for path, remove, value in changes:
        parent = document
        try:
            for key in path[:-1]:
                parent = parent[key]
            if remove and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change took this place away
    return document


def _body(document, raw_surrogates: bool) -> bytes:
    text = json.dumps(document, ensure_ascii=not raw_surrogates)
    text = text.replace(json.dumps(DEEP), "[" * 3_000 + "]" * 3_000)
    return text.encode("utf-8", "surrogatepass")


def changes_of(document):
    return st.lists(
        st.tuples(st.sampled_from(_paths(document)), st.booleans(), hostile_json),
        min_size=1,
        max_size=3,
    )


class Deliveries:
    def __init__(self, app, client):
        self.engine = get_engine(app)
        self.client = client
        self.statuses: dict[int, int] = {}

    def post(self, url: str, body: bytes, headers: dict):
        before = table_counts(self.engine)
        r = self.client.post(url, data=body, headers=headers | {"Content-Type": "application/json"})
        self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
        assert r.status_code < 500, (url, body[:300], r.status_code)
        if r.status_code >= 400:
            stored = stored_between(before, table_counts(self.engine))
            assert not stored, (url, body[:300], r.status_code, stored)
        return r


def _shopify_headers(body: bytes, topic: str, event: str) -> dict:
    digest = hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()
    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Event-Id": event,
    }


def _fuzz_shopify(deliveries: Deliveries, topic: str, base: dict, events):
    url = f"/hooks/shopify/{BRAND}"
    first = _paths(base)[0]

    @fuzz_settings(EXAMPLES)
    @example(changes=[(first, False, "\x00")], raw=False)
    @example(changes=[(first, False, "\ud800")], raw=True)
    @example(changes=[(first, False, DEEP)], raw=False)
    @given(changes=changes_of(base), raw=st.booleans())
    def deliver(changes, raw):
        body = _body(_mutated(base, changes), raw)
        deliveries.post(url, body, _shopify_headers(body, topic, f"fuzz-{next(events)}"))

    deliver()


SHOPIFY_TOPICS = {
    "orders/create": ORDER,
    "orders/updated": ORDER,
    "fulfillments/create": FULFILLMENT,
}


@pytest.mark.parametrize("topic", sorted(SHOPIFY_TOPICS))
def test_signed_shopify_deliveries_with_hostile_values(app, client, topic):
    deliveries = Deliveries(app, client)
    events = itertools.count()
    # The order first, so that the fulfillments below find it.
    body = json.dumps(ORDER).encode()
    created = deliveries.post(
        f"/hooks/shopify/{BRAND}", body, _shopify_headers(body, "orders/create", "fuzz-base")
    )
    assert created.status_code == 200
    _fuzz_shopify(deliveries, topic, SHOPIFY_TOPICS[topic], events)
    assert deliveries.statuses.get(400) and deliveries.statuses.get(200), deliveries.statuses


def _fuzz_aggregator(deliveries: Deliveries, provider: str):
    base = json.loads(payload(provider, "delivered.json"))
    url = f"/hooks/{provider}/{BRAND}"
    first = _paths(base)[0]

    @fuzz_settings(EXAMPLES)
    @example(changes=[(first, False, "\x00")], raw=False)
    @example(changes=[(first, False, "\ud800")], raw=True)
    @example(changes=[(first, False, 2**64)], raw=False)
    @given(changes=changes_of(base), raw=st.booleans())
    def deliver(changes, raw):
        body = _body(_mutated(base, changes), raw)
        deliveries.post(url, body, sign_aggregator(provider, body, AGGREGATOR_SECRET))

    deliver()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_signed_aggregator_deliveries_with_hostile_values(app, client, session, demo, provider):
    # A parcel with the fixtures' number, so that a delivery reaches the parser and the apply.
    session.add(
        Shipment(
            order_id=demo["ST-1003"].id,
            carrier="dhl",
            tracking_number="1234567890",
            status="pending",
        )
    )
    session.commit()
    deliveries = Deliveries(app, client)
    _fuzz_aggregator(deliveries, provider)
    assert deliveries.statuses.get(400) and deliveries.statuses.get(200), deliveries.statuses
