"""Demo data for estimates: one parcel per estimate source, a late parcel, and a small synthetic
history so one lane has learned days. Called from ``demo.load`` after the journeys are applied.

- ST-1007: the customer chose tomorrow 14〜16時 at checkout (``customer_slot``);
- the simulated carrier's parcels carry its own dates (``carrier``);
- ST-1101: ゆうパック 静岡 → 大阪, no carrier date, 60 earlier deliveries (``learned``);
- ST-1102: ゆうパケット → 札幌, no carrier date, no history (``lane_table``);
- NP-2101: DHL inside the US, which no lane table covers (``default``);
- ST-1103: the carrier's date passed two days ago (``late``);
- ST-1005: not shipped yet (cut-off and processing days of ``[shipping]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from carriers.numbers import mod7_complete
from carriers.simulated import ZONE_INTL, ZONE_JP, daytime
from tracking.estimates.models import LaneObservation
from tracking.estimates.refresh import refresh
from tracking.estimates.sim import simulate
from tracking.estimates.sources import brand_settings
from tracking.orders.demo import DemoOrder, DemoParcel, create, item
from tracking.orders.models import Order, Shipment, ShipmentEvent
from tracking.timeutil import as_utc


def _jp(i: int) -> str:
    """A valid 12-digit number (mod-7 check digit), away from the demo's own range."""
    return mod7_complete(f"{40_000_000_000 + i:011d}")


@dataclass(frozen=True)
class _Extra:
    brand: str
    number: str
    email: str
    postcode: str
    name: str
    item: tuple[str, str, int]
    carrier: str
    service: str
    tracking_number: str
    hours_ago: float


EXTRA = (
    _Extra(
        "sakura-tea", "ST-1101", "sora@example.com", "530-0001", "伊藤 空",
        ("SEN-100", "静岡 深蒸し煎茶 100g", 1620), "japanpost", "ゆうパック", _jp(1), 20,
    ),
    _Extra(
        "sakura-tea", "ST-1102", "nana@example.com", "060-0001", "渡辺 菜々",
        ("GEN-200", "玄米茶 200g", 864), "japanpost", "ゆうパケット", _jp(2), 10,
    ),
    _Extra(
        "sakura-tea", "ST-1103", "kaito@example.com", "812-0011", "山本 海斗",
        ("MAT-30", "宇治 抹茶 30g", 1980), "yamato", "宅急便", _jp(3), 96,
    ),
    _Extra(
        "northpeak", "NP-2101", "taylor@example.com", "30301", "Taylor Brooks",
        ("CUP-TI", "Titanium Camp Mug", 3400), "dhl", "", mod7_complete("512345678"), 30,
    ),
)  # fmt: skip

# The learned lane of ST-1101 (prefixes of 大阪府 postcodes).
_LEARNED_LANE = dict(mix=(("japanpost", "ゆうパック", 1.0),), origins=("4200851",))


def load_demo(session: Session, now: datetime) -> None:
    if not session.exec(
        select(LaneObservation).where(
            LaneObservation.synthetic.is_(True), LaneObservation.dest_key == "osaka"
        )
    ).first():
        rows = simulate(60, now.date() - timedelta(days=2), prefixes=["530"], **_LEARNED_LANE)
        session.add_all(rows)
    for spec in EXTRA:
        _ensure(session, spec, now)
    session.flush()

    _cfg, tz = brand_settings("sakura-tea")
    today = as_utc(now).astimezone(tz).date()
    for shipment in _shipments(session, _order(session, "sakura-tea", "ST-1007")):
        # what the customer picked at checkout: tomorrow, 14〜16時
        shipment.promised_date = today + timedelta(days=1)
        shipment.promised_slot = "14-16"
    for shipment in _shipments(session, _order(session, "sakura-tea", "ST-1103")):
        shipment.carrier_edd_start = shipment.carrier_edd_end = today - timedelta(days=2)

    demo_orders = session.exec(select(Order).where(Order.brand.in_(["sakura-tea", "northpeak"])))
    for order in demo_orders.all():
        for shipment in _shipments(session, order):
            refresh(session, shipment, now=now)


def _order(session: Session, brand: str, number: str) -> Order | None:
    return session.exec(select(Order).where(Order.brand == brand, Order.number == number)).first()


def _shipments(session: Session, order: Order | None) -> list[Shipment]:
    if order is None:
        return []
    return list(session.exec(select(Shipment).where(Shipment.order_id == order.id)).all())


def _ensure(session: Session, spec: _Extra, now: datetime) -> None:
    if _order(session, spec.brand, spec.number) is not None:
        return
    jp = spec.brand == "sakura-tea"
    parcel = DemoParcel(
        spec.carrier, "", spec.hours_ago, [0], spec.service, tracking_number=spec.tracking_number
    )
    spec_order = DemoOrder(
        brand=spec.brand,
        number=spec.number,
        email=spec.email,
        postcode=spec.postcode,
        name=spec.name,
        locale="ja" if jp else "en",
        items=[item(*spec.item, tags=())],
        parcels=[parcel],
        days_ago=(spec.hours_ago + 20) / 24,
    )
    order = create(session, spec_order, salt=0, now=now)  # the salt only picks example numbers
    # No simulated journey drives these parcels: each starts picked up, in transit, just looked at.
    (shipment,) = _shipments(session, order)
    shipment.status, shipment.last_checked_at = "in_transit", now
    session.add(
        ShipmentEvent(
            shipment_id=shipment.id,
            # At a plausible hour, as the simulated carrier's own scans (carriers.simulated).
            occurred_at=daytime(shipment.shipped_at, ZONE_JP if jp else ZONE_INTL),
            status="in_transit",
            sub_status="picked_up",
            description="荷物受付" if jp else "Picked up",
            raw_code="PICKUP",
        )
    )
