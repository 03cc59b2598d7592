"""Demo data: two shops and a dozen orders covering every status family.

Tracking numbers are real-format numbers (valid check digits) picked so that the simulated
carrier plays the wanted journey; the demo brands route their carriers through ``simulated``.
Loading is idempotent: existing orders keep their links, their journeys are re-applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

import carriers
from carriers.numbers import mod7_complete, ups_check_digit
from carriers.simulated import SCENARIO_BY_NAME, scenario_for

from . import estimate_demo, sync
from .models import Order, OrderItem, Shipment, ShipmentItem
from .orders import apply_result, create_order
from .timeutil import utcnow


@dataclass
class DemoParcel:
    carrier: str
    scenario: str
    hours_ago: float  # when it was shipped
    items: list[int]  # indexes into the order's items (whole quantity ships)
    service: str = ""


@dataclass
class DemoOrder:
    brand: str
    number: str
    email: str
    postcode: str
    name: str
    locale: str
    items: list[dict]
    parcels: list[DemoParcel] = field(default_factory=list)
    days_ago: float = 3
    payment_method: str = "card"


def _tea(sku, name, price, variant="", tags=("tea",), qty=1):
    return {
        "sku": sku,
        "name": name,
        "price": price,
        "variant": variant,
        "tags": list(tags),
        "qty": qty,
    }


_GEAR = _tea  # same shape, different shop

BRANDS = ("sakura-tea", "northpeak")

ORDERS: list[DemoOrder] = [
    DemoOrder(
        "sakura-tea",
        "ST-1001",
        "hanako@example.com",
        "150-0001",
        "山田 花子",
        "ja",
        [
            _tea("SEN-100", "静岡 深蒸し煎茶 100g", 1620),
            _tea("YUN-01", "有田焼 湯呑み", 2420, "藍", ("teaware",)),
        ],
        [DemoParcel("yamato", "delivered", 48, [0, 1], "宅急便")],
        days_ago=4,
    ),
    DemoOrder(
        "sakura-tea",
        "ST-1002",
        "taro@example.com",
        "060-0001",
        "佐藤 太郎",
        "ja",
        [_tea("GYO-50", "八女 玉露 50g", 2160)],
        [DemoParcel("japanpost", "out_for_delivery", 28, [0], "ゆうパック")],
        days_ago=2,
    ),
    DemoOrder(
        "sakura-tea",
        "ST-1003",
        "yuki@example.com",
        "900-0001",
        "比嘉 ゆき",
        "ja",
        [
            _tea("MAT-30", "宇治 抹茶 30g", 1980),
            _tea("CHA-SEN", "茶筅 百本立", 3300, "", ("teaware",)),
        ],
        [DemoParcel("yamato", "in_transit", 16, [0, 1], "宅急便")],
        days_ago=1.5,
    ),
    DemoOrder(
        "sakura-tea",
        "ST-1004",
        "ken@example.com",
        "530-0001",
        "田中 健",
        "ja",
        [_tea("HOJ-200", "ほうじ茶 200g", 1080, qty=2)],
        [DemoParcel("yamato", "attempt_failed", 31, [0], "宅急便")],
        days_ago=2,
    ),
    DemoOrder(
        "sakura-tea",
        "ST-1005",
        "mai@example.com",
        "460-0001",
        "鈴木 舞",
        "ja",
        [_tea("KYU-01", "常滑焼 急須", 5500, "朱泥", ("teaware",))],
        [],
        days_ago=0.3,
    ),
    DemoOrder(
        "sakura-tea",
        "ST-1006",
        "emi@example.com",
        "810-0001",
        "中村 恵美",
        "ja",
        [_tea("GEN-200", "玄米茶 200g", 864)],
        [DemoParcel("japanpost", "available_for_pickup", 36, [0], "ゆうパケット")],
        days_ago=3,
    ),
    DemoOrder(
        "sakura-tea",
        "ST-1007",
        "jiro@example.com",
        "980-0001",
        "高橋 次郎",
        "ja",
        [_tea("SEN-100", "静岡 深蒸し煎茶 100g", 1620, qty=3)],
        [DemoParcel("yamato", "info_received", 2, [0], "宅急便コンパクト")],
        days_ago=0.5,
    ),
    DemoOrder(
        "sakura-tea",
        "ST-1008",
        "rin@example.com",
        "040-0001",
        "小林 凛",
        "ja",
        [_tea("GYO-50", "八女 玉露 50g", 2160)],
        [DemoParcel("japanpost", "delayed", 40, [0], "ゆうパック")],
        days_ago=3,
    ),
    DemoOrder(
        "northpeak",
        "NP-2001",
        "alex@example.com",
        "97205",
        "Alex Kim",
        "en",
        [
            _GEAR("TENT-2P", "Ridgeline 2P Tent", 38900, "Slate", ("camping",)),
            _GEAR("BOOT-M", "Switchback Hiking Boots", 17900, "US 10", ("footwear",)),
            _GEAR("SOCK-3", "Merino Trail Socks (3 pack)", 2900, "M", ("footwear",)),
        ],
        [DemoParcel("ups", "in_transit", 40, [0]), DemoParcel("dhl", "in_transit", 38, [1, 2])],
        days_ago=3,
    ),
    DemoOrder(
        "northpeak",
        "NP-2002",
        "sam@example.com",
        "80202",
        "Sam Rivera",
        "en",
        [_GEAR("JKT-RAIN", "Stormline Rain Jacket", 14900, "Blue / L", ("apparel",))],
        [DemoParcel("ups", "exception", 60, [0])],
        days_ago=4,
    ),
    DemoOrder(
        "northpeak",
        "NP-2003",
        "jordan@example.com",
        "98101",
        "Jordan Lee",
        "en",
        [_GEAR("PACK-40", "Summit 40L Pack", 16500, "Moss", ("camping",))],
        [DemoParcel("dhl", "delivered", 96, [0])],
        days_ago=6,
    ),
    DemoOrder(
        "northpeak",
        "NP-2004",
        "casey@example.com",
        "60601",
        "Casey Park",
        "en",
        [_GEAR("STOVE-1", "Pocket Stove", 4900, "", ("camping",))],
        [DemoParcel("ups", "returned", 260, [0])],
        days_ago=12,
    ),
    DemoOrder(
        "northpeak",
        "NP-2005",
        "riley@example.com",
        "10001",
        "Riley Chen",
        "en",
        [_GEAR("LAMP-H", "Trail Headlamp", 3900, "", ("camping",))],
        [DemoParcel("ups", "pending", 5, [0])],
        days_ago=1,
    ),
    DemoOrder(
        "northpeak",
        "NP-2006",
        "morgan@example.com",
        "73301",
        "Morgan Diaz",
        "en",
        [
            _GEAR("BOTTLE", "Insulated Bottle 1L", 3200, "Sand", ("hydration",)),
            _GEAR("BOOT-W", "Switchback Hiking Boots", 17900, "US 8", ("footwear",)),
        ],
        [DemoParcel("ups", "out_for_delivery", 68, [0, 1])],
        days_ago=3,
    ),
]


def demo_number(carrier: str, scenario: str, salt: int) -> str:
    """A number valid for ``carrier`` whose simulated journey is ``scenario``."""
    adapter = carriers.get(carrier)
    wanted = SCENARIO_BY_NAME[scenario]
    for i in range(salt * 9973, salt * 9973 + 10_000):
        if carrier == "ups":
            body = f"{'A1B2C3'}{i:09d}"[-15:]
            number = "1Z" + body + ups_check_digit(body)
        elif carrier == "dhl":
            number = mod7_complete(f"{(i % 10**9):09d}")
            number = number if len(number) == 10 else number[-10:]
        else:  # the 12-digit mod-7 family
            number = mod7_complete(f"{(30_000_000_000 + i):011d}")
        if adapter.validate(number) and scenario_for(number) is wanted:
            return number
    raise ValueError(f"no {carrier} number found for scenario {scenario!r}")


def load(session: Session, now: datetime | None = None) -> list[Order]:
    now = now or utcnow()
    sim = carriers.get("simulated")
    loaded = []
    for salt, spec in enumerate(ORDERS, start=1):
        order = session.exec(
            select(Order).where(Order.brand == spec.brand, Order.number == spec.number)
        ).first()
        if order is None:
            order = _create(session, spec, salt, now)
        session.flush()
        for shipment in session.exec(select(Shipment).where(Shipment.order_id == order.id)).all():
            body = sim.fetch(
                [shipment.tracking_number],
                shipped_at={shipment.tracking_number: shipment.shipped_at},
                now=now,
            )[shipment.tracking_number]
            try:
                apply_result(session, shipment, sim.parse(body, shipment.tracking_number))
            except carriers.NotFound:
                shipment.last_checked_at = now  # carrier has no data yet: stays "pending"
            # The worker picks it up from here, like any shop's shipment.
            shipment.next_check_at = sync.next_check(shipment.status, now)
        loaded.append(order)
    estimate_demo.load_demo(session, now)
    returns_demo.load_demo(session, now)
    session.commit()
    return loaded


def _create(session: Session, spec: DemoOrder, salt: int, now: datetime) -> Order:
    order = create_order(
        session,
        brand=spec.brand,
        number=spec.number,
        email=spec.email,
        postcode=spec.postcode,
        name=spec.name,
        locale=spec.locale,
        currency="JPY" if spec.brand == "sakura-tea" else "USD",
        total=sum(i["price"] * i["qty"] for i in spec.items),
        payment_method=spec.payment_method,
        placed_at=now - timedelta(days=spec.days_ago),
    )
    items = []
    for raw in spec.items:
        item = OrderItem(order_id=order.id, **raw)
        session.add(item)
        items.append(item)
    session.flush()
    for p_index, parcel in enumerate(spec.parcels):
        shipment = Shipment(
            order_id=order.id,
            carrier=parcel.carrier,
            tracking_number=demo_number(parcel.carrier, parcel.scenario, salt * 10 + p_index),
            service=parcel.service,
            shipped_at=now - timedelta(hours=parcel.hours_ago),
        )
        session.add(shipment)
        session.flush()
        for idx in parcel.items:
            session.add(
                ShipmentItem(
                    shipment_id=shipment.id, order_item_id=items[idx].id, qty=items[idx].qty
                )
            )
    return order


from .returns import demo as returns_demo  # noqa: E402  (imports this module)
