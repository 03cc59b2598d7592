"""The JSON API: Bearer keys per brand, listing, transitions, stable error codes."""

from __future__ import annotations

import pytest

from tests.factories import items_of, make_order
from tests.support.returns import submission
from tracking.returns.submission import submit
from tracking.staff import api_keys as staff


@pytest.fixture
def keys(session):
    return {b: staff.create_api_key(session, b, "warehouse") for b in ("sakura-tea", "northpeak")}


@pytest.fixture
def rr(app, session):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    order = make_order(session)
    item = items_of(session, order)[1]
    sub = submission("api-test-key-00001", (item.id, 1, "changed_mind", "refund"))
    with app.app_context():
        return submit(session, brand, order, sub, upload_dir=None)


def auth(key):
    return {"Authorization": f"Bearer {key}"}


def test_no_or_bad_key_is_401(client, keys):
    for headers in (
        {},
        auth("tdk_nope_nope"),
        auth(keys["sakura-tea"] + "x"),
        {"Authorization": "Basic x"},
    ):
        r = client.get("/api/v1/returns", headers=headers)
        assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"


def test_list_is_scoped_to_the_keys_brand(client, keys, rr):
    r = client.get("/api/v1/returns", headers=auth(keys["sakura-tea"]))
    assert [x["rma"] for x in r.json["returns"]] == [rr.rma]
    assert r.json["returns"][0]["allowed_actions"] == ["approve", "reject", "review"]
    assert client.get("/api/v1/returns", headers=auth(keys["northpeak"])).json["returns"] == []
    r = client.get("/api/v1/returns?status=bogus", headers=auth(keys["sakura-tea"]))
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_status"


def test_transitions_with_version_check(client, keys, rr, session):
    url = f"/api/v1/returns/{rr.rma}/transitions"
    h = auth(keys["sakura-tea"])
    r = client.post(url, json={"action": "approve", "version": 1}, headers=h)
    assert r.status_code == 200 and r.json["return"]["status"] == "approved"
    r = client.post(url, json={"action": "receive", "version": 1}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "version_conflict"
    assert r.json["return"]["version"] == 2
    r = client.post(url, json={"action": "refund"}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "illegal_transition"
    r = client.post(url, json={"action": "cancel"}, headers=h)
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_action"
    r = client.post(
        url, json={"action": "ship", "carrier": "yamato", "tracking_number": "1"}, headers=h
    )
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_tracking_number"
    r = client.post(
        url,
        json={"action": "ship", "carrier": "yamato", "tracking_number": "300000000016"},
        headers=h,
    )
    assert r.status_code == 200 and r.json["return"]["return_tracking_number"] == "300000000016"
    from sqlmodel import select

    from tracking.returns.models import ReturnEvent

    assert (
        session.exec(select(ReturnEvent.actor).where(ReturnEvent.action == "ship")).one()
        == "api:warehouse"
    )


def test_bad_bodies(client, keys, rr):
    url = f"/api/v1/returns/{rr.rma}/transitions"
    h = auth(keys["sakura-tea"])
    assert client.post(url, data="nope", headers=h).json["error"]["code"] == "invalid_body"
    assert (
        client.post(url, json={"action": "approve", "version": "1"}, headers=h).json["error"][
            "code"
        ]
        == "invalid_body"
    )


def test_other_brands_rma_is_404(client, keys, rr):
    r = client.post(
        f"/api/v1/returns/{rr.rma}/transitions",
        json={"action": "approve"},
        headers=auth(keys["northpeak"]),
    )
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


def test_cli_prints_a_key_once(app, session):
    result = app.test_cli_runner().invoke(
        args=["staff", "api-key", "--brand", "northpeak", "--name", "wms"]
    )
    key = result.output.strip()
    assert result.exit_code == 0 and key.startswith("tdk_")
    assert staff.api_key_brand(session, key).brand == "northpeak"
