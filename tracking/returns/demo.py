"""Demo returns: extra delivered orders of both demo shops with returns in several states, and
one staff account per shop. Idempotent like the rest of the demo; runs without an app context.

Built through the real services (``submit``, ``transition``) so the demo shows what the code
does, history and queued mail included. ST-1001 and NP-2201 are left untouched for trying a
return by hand (and for the browser tests).
"""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image
from sqlmodel import Session, select

import carriers

from .. import demo as base_demo
from .. import sync
from ..brands import Brand, load_brands
from ..config import ROOT
from ..models import Order, OrderItem, Shipment
from ..orders import apply_result
from ..returns_models import StaffUser
from ..staff import create_staff
from . import service
from .policy import LineInput

STAFF_PASSWORD = "todoku-demo-staff"  # demo only: printed by `flask --app app demo`
STAFF = {"sakura-tea": "staff@sakura-tea.example", "northpeak": "staff@northpeak.example"}

_T, _G = base_demo._tea, base_demo._GEAR
D = base_demo.DemoOrder
P = base_demo.DemoParcel

# (order, [(item index, qty, reason, resolution, variant)], actions after submitting)
RETURNS: list[tuple[base_demo.DemoOrder, list[tuple], list[str]]] = [
    (
        D(
            "sakura-tea",
            "ST-1201",
            "sora@example.com",
            "150-0002",
            "青木 空",
            "ja",
            [
                _T("KYU-01", "常滑焼 急須", 5500, "朱泥", ("teaware",)),
                _T("SEN-100", "静岡 深蒸し煎茶 100g", 1620),
            ],
            [P("yamato", "delivered", 72, [0, 1], "宅急便")],
            days_ago=5,
        ),
        [(0, 1, "damaged", "exchange", "黒泥")],
        [],
    ),
    (
        D(
            "sakura-tea",
            "ST-1202",
            "nana@example.com",
            "604-0001",
            "森 奈々",
            "ja",
            [_T("YUN-01", "有田焼 湯呑み", 2420, "藍", ("teaware",))],
            [P("yamato", "delivered", 80, [0], "宅急便")],
            days_ago=6,
            payment_method="cod",
        ),
        [(0, 1, "changed_mind", "refund", "")],
        ["approve"],
    ),
    (
        D(
            "sakura-tea",
            "ST-1203",
            "kaito@example.com",
            "220-0001",
            "石井 海斗",
            "ja",
            [_T("CHA-SEN", "茶筅 百本立", 3300, "", ("teaware",))],
            [P("japanpost", "delivered", 90, [0], "ゆうパック")],
            days_ago=6,
        ),
        [(0, 1, "wrong_item", "store_credit", "")],
        ["approve", "ship"],
    ),
    (
        D(
            "sakura-tea",
            "ST-1204",
            "mio@example.com",
            "330-0001",
            "大野 美緒",
            "ja",
            [_T("YUN-01", "有田焼 湯呑み", 2420, "白磁", ("teaware",), qty=2)],
            [P("yamato", "delivered", 100, [0], "宅急便")],
            days_ago=7,
        ),
        [(0, 2, "changed_mind", "refund", "")],
        ["review"],
    ),
    (
        D(
            "northpeak",
            "NP-2201",
            "drew@example.com",
            "94110",
            "Drew Patel",
            "en",
            [
                _G("BOOT-M", "Switchback Hiking Boots", 17900, "US 10", ("footwear",)),
                _G("SOCK-3", "Merino Trail Socks (3 pack)", 2900, "M", ("footwear",)),
                _G("TENT-2P", "Ridgeline 2P Tent", 38900, "Slate", ("camping",)),
            ],
            [P("ups", "delivered", 120, [0, 1, 2])],
            days_ago=7,
        ),
        [],
        [],
    ),
    (
        D(
            "northpeak",
            "NP-2202",
            "quinn@example.com",
            "97201",
            "Quinn Ortiz",
            "en",
            [_G("BOOT-W", "Switchback Hiking Boots", 17900, "US 8", ("footwear",))],
            [P("ups", "delivered", 130, [0])],
            days_ago=8,
        ),
        [(0, 1, "too_small", "exchange", "US 8.5")],
        ["approve", "receive", "inspect", "exchange"],
    ),
    (
        D(
            "northpeak",
            "NP-2203",
            "avery@example.com",
            "98052",
            "Avery Brooks",
            "en",
            [_G("PACK-40", "Summit 40L Pack", 16500, "Moss", ("camping",))],
            [P("dhl", "delivered", 140, [0])],
            days_ago=9,
        ),
        [(0, 1, "changed_mind", "refund", "")],
        ["approve", "receive"],
    ),
    (
        D(
            "northpeak",
            "NP-2204",
            "blake@example.com",
            "80301",
            "Blake Young",
            "en",
            [_G("SOCK-3", "Merino Trail Socks (3 pack)", 2900, "L", ("footwear",), qty=2)],
            [P("ups", "delivered", 125, [0])],
            days_ago=8,
        ),
        [(0, 2, "too_large", "store_credit", "")],
        [],
    ),
    (
        D(
            "northpeak",
            "NP-2205",
            "reese@example.com",
            "84101",
            "Reese Adams",
            "en",
            [_G("STOVE-1", "Pocket Stove", 4900, "", ("camping",))],
            [P("ups", "delivered", 150, [0])],
            days_ago=9,
        ),
        [(0, 1, "changed_mind", "refund", "")],
        ["reject"],
    ),
]


def _brands() -> dict[str, Brand]:
    try:
        from flask import current_app

        return current_app.extensions["todoku_brands"]
    except (RuntimeError, KeyError):
        return load_brands(os.environ.get("BRANDS_DIR") or ROOT / "brands")


def _upload_dir() -> Path:
    try:
        from .photos import upload_dir

        return upload_dir()
    except RuntimeError:  # no app context: the default location
        path = ROOT / "instance" / "uploads"
        path.mkdir(parents=True, exist_ok=True)
        return path


def _demo_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 120, 90)).save(out, "JPEG")
    return out.getvalue()


def _journey(session: Session, order: Order, now: datetime) -> None:
    for shipment in session.exec(select(Shipment).where(Shipment.order_id == order.id)).all():
        _simulate(shipment, session, now)


def _simulate(shipment: Shipment, session: Session, now: datetime) -> None:
    sim = carriers.get("simulated")
    body = sim.fetch(
        [shipment.tracking_number],
        shipped_at={shipment.tracking_number: shipment.shipped_at},
        now=now,
    )[shipment.tracking_number]
    apply_result(session, shipment, sim.parse(body, shipment.tracking_number))


def load_demo(session: Session, now: datetime) -> None:
    brands = _brands()
    for slug, email in STAFF.items():
        if (
            slug in brands
            and not session.exec(select(StaffUser).where(StaffUser.email == email)).first()
        ):
            create_staff(session, slug, email, STAFF_PASSWORD)
    for salt, (spec, lines, actions) in enumerate(RETURNS, start=500):
        brand = brands.get(spec.brand)
        if (
            brand is None
            or session.exec(
                select(Order).where(Order.brand == spec.brand, Order.number == spec.number)
            ).first()
        ):
            continue
        order = base_demo._create(session, spec, salt, now)
        session.flush()
        _journey(session, order, now)
        session.commit()
        if not lines:
            continue
        items = session.exec(
            select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
        ).all()
        chosen = {idx for idx, *_rest in lines}
        sub = service.Submission(
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
        at = now - timedelta(days=spec.days_ago - 3)
        rr = service.submit(session, brand, order, sub, upload_dir=_upload_dir(), now=at)
        for step, action in enumerate(actions, start=1):
            extra = {}
            if action == "ship":
                extra = {
                    "carrier": "yamato",
                    "tracking_number": base_demo.demo_number("yamato", "in_transit", salt),
                }
            service.transition(
                session,
                brand,
                rr,
                action,
                actor=f"staff:{STAFF[brand.slug]}",
                reason="デモ" if brand.default_locale == "ja" else "demo",
                now=at + timedelta(hours=6 * step),
                **extra,
            )
        parcel, _event = service.return_parcel(session, rr)
        if parcel is not None:
            # The return parcel's journey so far; the worker polls it from here (the brand
            # routes its carrier through the simulated one).
            _simulate(parcel, session, now)
            parcel.next_check_at = sync.next_check(parcel.status, now)
            session.commit()


def summary(root: str) -> str:
    lines = ["Staff (demo only):"]
    for slug, email in STAFF.items():
        lines.append(f"  {slug:<11} {email} / {STAFF_PASSWORD}   {root}/admin/login")
    return "\n".join(lines)
