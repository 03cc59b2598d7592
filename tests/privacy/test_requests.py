"""Privacy requests on the demo with its dashboard history (returns with photos, questions and
replies, feedback, mail): export lists everything about one person and nothing about anyone
else; erase leaves no trace of them anywhere in the database or the photo folder, keeps the
shop's figures, and records itself in the order history; a dry run changes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from tracking.dashboard import figures as dashboard_figures
from tracking.dashboard.display import change_label, change_source, change_value
from tracking.orders.models import Order, OrderChange
from tracking.page.models import Feedback, Inquiry
from tracking.returns.models import ReturnPhoto, ReturnRequest


@pytest.fixture(autouse=True)
def history(dashboard_history):
    """The dashboard's demo history (returns, questions, feedback, views) on the demo shops."""


def _person_with_everything(session) -> Order:
    """A demo customer with a return carrying photos; the test adds a question, a rating and
    a comment if the demo gave them none."""
    photo = session.exec(select(ReturnPhoto)).first()
    assert photo is not None, "the demo has return photos"
    request = session.get(ReturnRequest, photo.return_id)
    order = session.get(Order, request.order_id)
    if not session.exec(select(Inquiry).where(Inquiry.order_id == order.id)).first():
        session.add(
            Inquiry(
                brand=order.brand,
                order_id=order.id,
                message="箱が潰れていました",
                reply_by=date.today(),
            )
        )
    if not session.exec(select(Feedback).where(Feedback.order_id == order.id)).first():
        session.add(Feedback(brand=order.brand, order_id=order.id, rating=4, comment="丁寧な梱包"))
    if not order.phone:
        order.phone = "090-1234-5678"
    session.add(order)
    session.commit()
    return order


def _all_text(session) -> str:
    """Every value of every table, as one string: what a search for a person would read."""
    parts = []
    for table in inspect(session.connection()).get_table_names():
        for row in session.execute(text(f'SELECT * FROM "{table}"')):
            parts.extend(str(v) for v in row)
    return "\n".join(parts)


def _figures(app, session, slug: str) -> dict:
    brand = app.extensions["todoku_brands"][slug]
    today = date.today()
    rng = dashboard_figures.parse_range(
        {"since": (today - timedelta(days=365)).isoformat(), "until": today.isoformat()},
        brand,
        today,
    )
    found = vars(dashboard_figures.figures(session, brand, rng)).copy()
    # Comments are free text (erased); their number and ratings are figures (kept).
    found["comments"] = [(when, rating) for when, rating, _text in found["comments"]]
    return found


def test_export_lists_everything_about_the_person_and_no_one_else(app, session, demo):
    order = _person_with_everything(session)
    result = app.test_cli_runner().invoke(
        args=["privacy", "export", "--brand", order.brand, "--email", order.email.upper()]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["email"] == order.email
    exported = {o["order"]["number"]: o for o in document["orders"]}
    entry = exported[order.number]
    assert entry["order"]["name"] == order.name and entry["order"]["address"] == order.address
    assert entry["items"] and entry["parcels"] and entry["parcels"][0]["events"]
    assert entry["returns"][0]["photos"][0]["stored_name"].endswith(".jpg")
    assert entry["questions"] and entry["feedback"]
    assert entry["mails"], "the mail sent about the order"
    assert "public_id" not in entry["order"], "link secrets are not data about the person"
    others = session.exec(
        select(Order).where(Order.brand == order.brand, Order.email != order.email)
    ).all()
    assert others
    for other in others:
        assert other.number not in exported
        assert other.email not in result.output


def test_erase_leaves_no_trace_and_keeps_the_figures(app, session, demo):
    order = _person_with_everything(session)
    person = (order.email, order.name, order.phone, order.address)
    photos = [
        Path(app.config["UPLOAD_DIR"]) / p.stored_name
        for p in session.exec(
            select(ReturnPhoto).join(ReturnRequest).where(ReturnRequest.order_id == order.id)
        )
    ]
    for path in photos:  # the demo template's photos live in another process's folder
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8photo\xff\xd9")
    before = _figures(app, session, order.brand)
    rows_before = {
        t: session.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()
        for t in ("orders", "shipments", "tracking_events", "return_requests", "return_lines")
    }

    runner = app.test_cli_runner()
    args = ["privacy", "erase", "--brand", order.brand, "--email", order.email]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0 and "nothing changed" in dry.output, dry.output
    session.expire_all()
    assert all(value in _all_text(session) for value in person if value)
    assert all(path.exists() for path in photos)

    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    session.expire_all()
    everything = _all_text(session)
    for value in person:
        if value:
            assert value not in everything, f"{value!r} is still stored"
    assert not any(path.exists() for path in photos)
    assert not session.exec(
        select(ReturnPhoto).join(ReturnRequest).where(ReturnRequest.order_id == order.id)
    ).all()
    assert _figures(app, session, order.brand) == before
    assert rows_before == {
        t: session.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in rows_before
    }
    change = session.exec(
        select(OrderChange).where(OrderChange.order_id == order.id).order_by(OrderChange.id.desc())
    ).first()
    assert change_source(change.source) == "Erased on request"
    key, (old, new) = next(iter(change.changes.items()))
    assert f"{change_label(key)}: {change_value(key, new)}" == "Personal data: erased"
    # Nothing left to export, and a second erase finds nothing.
    export = runner.invoke(args=["privacy", "export", "--brand", order.brand, "--email", person[0]])
    assert json.loads(export.output)["orders"] == []


def test_erase_is_per_brand(app, session, demo):
    order = _person_with_everything(session)
    other_brand = next(slug for slug in app.extensions["todoku_brands"] if slug != order.brand)
    result = app.test_cli_runner().invoke(
        args=["privacy", "erase", "--brand", other_brand, "--email", order.email]
    )
    assert result.exit_code == 0
    session.expire_all()
    assert session.get(Order, order.id).email == order.email


def test_an_unknown_brand_is_refused(app, demo):
    result = app.test_cli_runner().invoke(
        args=["privacy", "export", "--brand", "nope", "--email", "a@example.com"]
    )
    assert result.exit_code != 0 and "no brand" in result.output
