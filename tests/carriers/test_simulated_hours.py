"""The simulated carrier scans at plausible hours: 08:00–21:00 where the parcel travels, in the
journey's order, and never later than laid out (what a journey showed, it still shows)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carriers.simulated import SCENARIOS, ZONE_INTL, ZONE_JP, SimulatedAdapter, example_number


@pytest.mark.parametrize("scenario", [s.name for s in SCENARIOS if s.steps])
@pytest.mark.parametrize(("carrier", "zone"), [("yamato", ZONE_JP), ("ups", ZONE_INTL)])
def test_every_scan_in_the_working_day(scenario, carrier, zone):
    number = example_number(carrier, scenario)
    sim = SimulatedAdapter()
    now = datetime(2026, 12, 10, 12, tzinfo=UTC)
    for hour in range(0, 24, 1):  # shipped at every hour of a day
        shipped = datetime(2026, 12, 1, hour, 17, tzinfo=UTC)
        events = sim.journey(number, shipped, now)["events"]
        times = [datetime.fromisoformat(e["at"]) for e in events]
        assert times == sorted(times)
        for at in times:
            local = at.astimezone(zone)
            assert 8 <= local.hour < 21, (scenario, shipped, local)


def test_the_demo_parcels_were_scanned_by_day(session, demo, app):
    from sqlmodel import select

    from tracking.orders.models import Order, Shipment, ShipmentEvent
    from tracking.timeutil import as_utc

    brands = app.extensions["todoku_brands"]
    rows = session.exec(
        select(ShipmentEvent, Order.brand)
        .join(Shipment, Shipment.id == ShipmentEvent.shipment_id)
        .join(Order, Order.id == Shipment.order_id)
    ).all()
    assert rows
    late = [
        (brand, as_utc(e.occurred_at).astimezone(brands[brand].tz), e.description)
        for e, brand in rows
        if not 8 <= as_utc(e.occurred_at).astimezone(brands[brand].tz).hour < 21
    ]
    assert not late, late[:5]
