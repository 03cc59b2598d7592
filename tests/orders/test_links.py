"""One builder per customer link: ``orders.links.tracking_link`` for the tracking page,
``returns.links.status_url`` for a return, ``mail.unsubscribe.unsubscribe_url`` for
unsubscribing. A link spelled out by hand elsewhere would drift from them (another base URL,
another signing purpose), so the source is searched for one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from tracking.orders.links import tracking_link
from tracking.orders.models import Order
from tracking.security import read_order_token

ROOT = Path(__file__).resolve().parents[2]
BUILDERS = {
    "tracking/orders/links.py",
    "tracking/returns/links.py",
    "tracking/mail/unsubscribe.py",
}
# A path segment of a customer link followed by a formatted value: f"…/o/{token}".
HAND_BUILT = re.compile(r"/(?:o|r|unsubscribe)/\{")


@pytest.fixture
def ctx():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="links-test", BASE_URL="https://track.example.com")
    with app.app_context():
        yield app


def test_tracking_link_is_the_base_url_brand_and_a_signed_token(ctx):
    order = Order(brand="sakura-tea", number="T-1", public_id="p" * 32)
    link = tracking_link(order)
    prefix = "https://track.example.com/sakura-tea/o/"
    assert link.startswith(prefix)
    token = link.removeprefix(prefix)
    assert "/" not in token
    assert read_order_token("sakura-tea", token) == "p" * 32
    assert read_order_token("northpeak", token) is None  # bound to its brand


def test_the_pattern_finds_a_hand_built_link():
    planted = 'link = f"{base}/{brand.slug}/o/{order_token(brand.slug, order.public_id)}"'
    assert HAND_BUILT.search(planted)
    assert HAND_BUILT.search('f"{root}/{slug}/r/{token}"')
    assert not HAND_BUILT.search('@bp.get("/<brand_slug>/o/<token>")')  # a route, not a link


def test_no_module_builds_a_customer_link_by_hand():
    found = []
    for folder in ("tracking", "carriers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in BUILDERS:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if HAND_BUILT.search(line):
                    found.append(f"{name}:{number}: {line.strip()}")
    assert found == [], "use orders.links / returns.links / mail.unsubscribe instead"
