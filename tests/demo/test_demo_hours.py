"""The demo's returns happen when people act: by day in the shop's zone, after the parcel
arrived, in order — whatever hour the demo is loaded at (issue 24: approvals at 01:38)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tracking.orders.models import Order, Shipment
from tracking.returns import demo as returns_demo
from tracking.returns.models import ReturnEvent, ReturnRequest


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# UTC hours: 00:30 and 15:30 are 09:30 and 00:30 in Tokyo; 03:00 and 19:00 are 19:00 the
# evening before and 11:00 in Portland.
@pytest.mark.parametrize("hour, minute", [(0, 30), (3, 0), (15, 30), (19, 0)])
def test_demo_returns_happen_in_office_hours_after_delivery(app, session, hour, minute):
    now = datetime(2026, 12, 4, hour, minute, tzinfo=UTC)
    with app.app_context():
        returns_demo.load_demo(session, now)
    brands = app.extensions["todoku_brands"]
    requests = session.exec(select(ReturnRequest)).all()
    assert len(requests) >= 10
    for rr in requests:
        order = session.get(Order, rr.order_id)
        zone = brands.get(order.brand).tz
        arrived = max(
            _aware(s.delivered_at)
            for s in session.exec(
                select(Shipment).where(Shipment.order_id == order.id, Shipment.return_id.is_(None))
            )
            if s.delivered_at is not None
        )
        events = session.exec(
            select(ReturnEvent).where(ReturnEvent.return_id == rr.id).order_by(ReturnEvent.id)
        ).all()
        times = [_aware(e.created_at) for e in events]
        assert times == sorted(times), (order.number, times)
        for event, at in zip(events, times, strict=True):
            local = at.astimezone(zone)
            where = (order.number, event.action, local.isoformat())
            assert returns_demo.OPENS <= local.hour < returns_demo.CLOSES, where
            assert arrived < at < now, where
