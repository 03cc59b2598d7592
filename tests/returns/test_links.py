"""The return's status link: built in one place (``returns.links.status_url``)."""

from __future__ import annotations

import pytest
from flask import Flask

from tracking.returns.links import read_return_token, status_url
from tracking.returns.models import ReturnRequest
from tracking.security import read_order_token


@pytest.fixture
def ctx():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="links-test", BASE_URL="https://track.example.com")
    with app.app_context():
        yield app


def test_status_url_is_the_base_url_brand_and_a_signed_return_token(ctx):
    rr = ReturnRequest(brand="sakura-tea", order_id=1, rma="R-1", public_id="r" * 32)
    url = status_url("sakura-tea", rr)
    prefix = "https://track.example.com/sakura-tea/r/"
    assert url.startswith(prefix)
    token = url.removeprefix(prefix)
    assert read_return_token("sakura-tea", token) == "r" * 32
    assert read_return_token("northpeak", token) is None  # bound to its brand
    assert read_order_token("sakura-tea", token) is None  # not an order link
