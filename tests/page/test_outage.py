"""The honest page under a carrier outage: data older than its cadence while the carrier fails
says so in plain words, in both languages; a fresh or healthy parcel says nothing of the kind."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from tests.page.test_view import page
from tracking.orders.models import Shipment
from tracking.timeutil import utcnow


def _st1003(session, demo) -> Shipment:
    return session.exec(select(Shipment).where(Shipment.order_id == demo["ST-1003"].id)).one()


def test_failing_carrier_and_stale_data_is_said_plainly(client, demo, token_for, session):
    s = _st1003(session, demo)
    s.status = "in_transit"
    s.failures = 2
    s.last_checked_at = utcnow() - timedelta(hours=5)  # in transit: cadence 3 h
    session.add(s)
    session.commit()
    en = page(client, demo, token_for, "ST-1003")
    assert "We could not reach Yamato Transport since" in en
    assert "this is the last status we have." in en
    ja = page(client, demo, token_for, "ST-1003", "ja")
    assert "ヤマト運輸の追跡情報を" in ja and "以降取得できていません" in ja


def test_no_outage_wording_when_fresh_or_healthy(client, demo, token_for, session):
    s = _st1003(session, demo)
    s.status = "in_transit"
    s.failures = 2
    s.last_checked_at = utcnow() - timedelta(hours=1)  # failing, but within its cadence
    session.add(s)
    session.commit()
    assert "could not reach" not in page(client, demo, token_for, "ST-1003")
    s.failures = 0
    s.last_checked_at = utcnow() - timedelta(hours=9)  # old, but nobody failed
    session.add(s)
    session.commit()
    assert "could not reach" not in page(client, demo, token_for, "ST-1003")
