"""Demo returns: extra delivered orders of both demo shops with returns in several states.
Idempotent like the rest of the demo; runs inside an app (it reads the app's brands).

Built through the real services (``submit``, ``transition``, ``ship``) so the demo shows what the code
does, history and queued mail included. ST-1001 and NP-2201 are left untouched for trying a
return by hand (and for the browser tests).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from PIL import Image
from sqlmodel import Session, select

from carriers.simulated import example_number
from tracking.orders.demo import DemoOrder, DemoParcel, create, item
from tracking.orders.models import Order, OrderItem, Shipment
from tracking.returns import labels, outcomes, submission, transitions
from tracking.returns import parcel as return_parcel
from tracking.returns.photos import upload_dir
from tracking.returns.policy import LineInput
from tracking.staff import demo as staff_demo
from tracking.staff.demo import STAFF
from tracking.sync.demo import play_journey

# (order, [(item index, qty, reason, resolution, variant)], actions after submitting)
RETURNS: list[tuple[DemoOrder, list[tuple], list[str]]] = [
    (
        DemoOrder(
            "sakura-tea",
            "ST-1201",
            "sora@example.com",
            "150-0002",
            "青木 空",
            "ja",
            [
                item("KYU-01", "常滑焼 急須", 5500, "朱泥", ("teaware",)),
                item("SEN-100", "静岡 深蒸し煎茶 100g", 1620),
            ],
            [DemoParcel("yamato", "delivered", 72, [0, 1], "宅急便")],
            days_ago=5,
        ),
        [(0, 1, "damaged", "exchange", "黒泥")],
        [],
    ),
    (
        DemoOrder(
            "sakura-tea",
            "ST-1202",
            "nana@example.com",
            "604-0001",
            "森 奈々",
            "ja",
            [item("YUN-01", "有田焼 湯呑み", 2420, "藍", ("teaware",))],
            [DemoParcel("yamato", "delivered", 80, [0], "宅急便")],
            days_ago=6,
            payment_method="cod",
        ),
        [(0, 1, "changed_mind", "refund", "")],
        ["approve"],
    ),
    (
        DemoOrder(
            "sakura-tea",
            "ST-1203",
            "kaito@example.com",
            "220-0001",
            "石井 海斗",
            "ja",
            [item("CHA-SEN", "茶筅 百本立", 3300, "", ("teaware",))],
            [DemoParcel("japanpost", "delivered", 90, [0], "ゆうパック")],
            days_ago=6,
        ),
        [(0, 1, "wrong_item", "store_credit", "")],
        ["approve", "ship"],
    ),
    (
        DemoOrder(
            "sakura-tea",
            "ST-1204",
            "mio@example.com",
            "330-0001",
            "大野 美緒",
            "ja",
            [item("YUN-01", "有田焼 湯呑み", 2420, "白磁", ("teaware",), qty=2)],
            [DemoParcel("yamato", "delivered", 100, [0], "宅急便")],
            days_ago=7,
        ),
        [(0, 2, "changed_mind", "refund", "")],
        ["review"],
    ),
    (
        DemoOrder(
            "northpeak",
            "NP-2201",
            "drew@example.com",
            "94110",
            "Drew Patel",
            "en",
            [
                item("BOOT-M", "Switchback Hiking Boots", 17900, "US 10", ("footwear",)),
                item("SOCK-3", "Merino Trail Socks (3 pack)", 2900, "M", ("footwear",)),
                item("TENT-2P", "Ridgeline 2P Tent", 38900, "Slate", ("camping",)),
            ],
            [DemoParcel("ups", "delivered", 120, [0, 1, 2])],
            days_ago=7,
        ),
        [],
        [],
    ),
    (
        DemoOrder(
            "northpeak",
            "NP-2202",
            "quinn@example.com",
            "97201",
            "Quinn Ortiz",
            "en",
            [item("BOOT-W", "Switchback Hiking Boots", 17900, "US 8", ("footwear",))],
            [DemoParcel("ups", "delivered", 130, [0])],
            days_ago=8,
        ),
        [(0, 1, "too_small", "exchange", "US 8.5")],
        ["approve", "receive", "inspect", "exchange"],
    ),
    (
        DemoOrder(
            "northpeak",
            "NP-2203",
            "avery@example.com",
            "98052",
            "Avery Brooks",
            "en",
            [item("PACK-40", "Summit 40L Pack", 16500, "Moss", ("camping",))],
            [DemoParcel("dhl", "delivered", 140, [0])],
            days_ago=9,
        ),
        [(0, 1, "changed_mind", "refund", "")],
        ["approve", "receive"],
    ),
    (
        DemoOrder(
            "northpeak",
            "NP-2204",
            "blake@example.com",
            "80301",
            "Blake Young",
            "en",
            [item("SOCK-3", "Merino Trail Socks (3 pack)", 2900, "L", ("footwear",), qty=2)],
            [DemoParcel("ups", "delivered", 125, [0])],
            days_ago=8,
        ),
        [(0, 2, "too_large", "store_credit", "")],
        ["approve", "receive", "inspect", "credit"],
    ),
    (
        DemoOrder(
            "northpeak",
            "NP-2205",
            "reese@example.com",
            "84101",
            "Reese Adams",
            "en",
            [item("STOVE-1", "Pocket Stove", 4900, "", ("camping",))],
            [DemoParcel("ups", "delivered", 150, [0])],
            days_ago=9,
        ),
        [(0, 1, "changed_mind", "refund", "")],
        ["reject"],
    ),
    # One approved return per way of sending it back (docs/returns.md, "Return shipping").
    (
        DemoOrder(
            "sakura-tea",
            "ST-1205",
            "yui@example.com",
            "060-0001",
            "小林 結衣",
            "ja",
            [item("SEN-100", "静岡 深蒸し煎茶 100g", 1620)],
            [DemoParcel("yamato", "delivered", 95, [0], "宅急便")],
            days_ago=4,
        ),
        [(0, 1, "wrong_item", "refund", "")],  # the shop's mistake: 着払い
        ["approve"],
    ),
    (
        DemoOrder(
            "northpeak",
            "NP-2206",
            "jamie@example.com",
            "80202",
            "Jamie Lee",
            "en",
            [item("PACK-40", "Summit 40L Pack", 16500, "Moss", ("camping",))],
            [DemoParcel("ups", "delivered", 135, [0])],
            days_ago=5,
        ),
        [(0, 1, "wrong_item", "refund", "")],  # the shop's mistake: a label staff uploaded
        ["approve", "label"],
    ),
    (
        DemoOrder(
            "northpeak",
            "NP-2207",
            "robin@example.com",
            "98101",
            "Robin Park",
            "en",
            [item("BOOT-W", "Switchback Hiking Boots", 17900, "US 7.5", ("footwear",))],
            [DemoParcel("ups", "delivered", 145, [0])],
            days_ago=4,
        ),
        [(0, 1, "too_small", "exchange", "US 8")],  # an exchange: the shop's shared label
        ["approve"],
    ),
]


DEMO_LABEL = "northpeak-return-label.pdf"


def _demo_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 120, 90)).save(out, "JPEG")
    return out.getvalue()


OPENS, CLOSES = 9, 18  # the demo shops' office hours, local time


def _office_hours(when: datetime, zone: ZoneInfo, now: datetime) -> datetime:
    """``when`` moved forward into office hours (10:xx when it falls outside them), so the
    demo's customers and staff act by day, whatever hour the demo is loaded at; never later
    than an hour before ``now`` (then the last office hour before it)."""
    local = when.astimezone(zone)
    if local.hour < OPENS:
        local = local.replace(hour=10)
    elif local.hour >= CLOSES:
        local = (local + timedelta(days=1)).replace(hour=10)
    latest = (now - timedelta(hours=1)).astimezone(zone)
    if local > latest:
        local = latest
        if local.hour >= CLOSES:
            local = local.replace(hour=CLOSES - 1)
        elif local.hour < OPENS:
            local = (local - timedelta(days=1)).replace(hour=CLOSES - 1)
    return local.astimezone(when.tzinfo or UTC)


def _submitted_at(session: Session, order: Order, brand, now: datetime) -> datetime:
    """When the demo customer asked for the return: a few hours after the parcel arrived, by
    day."""
    delivered = [
        s.delivered_at
        for s in session.exec(select(Shipment).where(Shipment.order_id == order.id))
        if s.delivered_at is not None
    ]
    arrived = max(delivered, default=now - timedelta(days=2))
    if arrived.tzinfo is None:  # SQLite hands back naive UTC
        arrived = arrived.replace(tzinfo=UTC)
    return _office_hours(arrived + timedelta(hours=3), brand.tz, now)


def load_demo(session: Session, now: datetime) -> None:
    brands = current_app.extensions["todoku_brands"]
    staff_demo.load_demo(session, brands)
    for salt, (spec, lines, actions) in enumerate(RETURNS, start=500):
        brand = brands.get(spec.brand)
        if (
            brand is None
            or session.exec(
                select(Order).where(Order.brand == spec.brand, Order.number == spec.number)
            ).first()
        ):
            continue
        order = create(session, spec, salt, now)
        session.flush()
        for shipment in session.exec(select(Shipment).where(Shipment.order_id == order.id)):
            play_journey(session, shipment, now)
        session.commit()
        if not lines:
            continue
        items = session.exec(
            select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
        ).all()
        chosen = {idx for idx, *_rest in lines}
        sub = submission.Submission(
            key=f"demo-{spec.number}-0000000",
            lines=[
                LineInput(items[i].id, q, reason, res, variant)
                for i, q, reason, res, variant in lines
            ]
            + [LineInput(it.id, 0) for j, it in enumerate(items) if j not in chosen],
            note="",
            bank={
                "bank_name": "さくら銀行",
                "branch_name": "渋谷支店",
                "account_type": "ordinary",
                "account_number": "1234567",
                "account_holder": "モリ ナナ",
            },
            photos={
                items[i].id: [_demo_photo()]
                for i, _q, reason, *_r in lines
                if (brand.returns.reason(reason) and brand.returns.reason(reason).photos)
            },
        )
        at = _submitted_at(session, order, brand, now)
        rr = submission.submit(session, brand, order, sub, upload_dir=upload_dir(), now=at)
        for action in actions:
            # Staff act a couple of office hours apart, in order.
            at = max(
                _office_hours(at + timedelta(hours=2), brand.tz, now), at + timedelta(minutes=5)
            )
            who = {
                "actor": f"staff:{STAFF[brand.slug]}",
                "reason": "デモ" if brand.default_locale == "ja" else "demo",
                "now": at,
            }
            if action == "label":
                # The demo's label: the shop's shared one stands in for a carrier's.
                pdf = Path(current_app.config["BRANDS_DIR"]) / "assets" / DEMO_LABEL
                labels.attach(session, brand, rr, pdf.read_bytes(), actor=who["actor"], now=at)
            elif action == "ship":
                number = example_number("yamato", "in_transit", salt)
                return_parcel.ship(
                    session, brand, rr, carrier="yamato", tracking_number=number, **who
                )
            elif action == "exchange":  # the replacement, out for delivery today
                number = example_number("ups", "out_for_delivery", salt)
                outcomes.send_replacement(
                    session, brand, rr, carrier="ups", tracking_number=number, **who
                )
            else:
                transitions.transition(session, brand, rr, action, **who)
        for parcel, _event in (
            return_parcel.return_parcel(session, rr),
            outcomes.replacement_parcel(session, rr),
        ):
            if parcel is not None:
                # The parcel's journey so far; the worker polls it from here (the brand
                # routes its carrier through the simulated one).
                play_journey(session, parcel, now)
                session.commit()
