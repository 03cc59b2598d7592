"""Return figures: lines of returns requested in a range, by reason and by product, and the
value kept as exchanges or store credit."""

from __future__ import annotations

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from tracking.dashboard.day_range import Range, ratio
from tracking.orders.models import Order, OrderItem
from tracking.returns.models import ReturnLine, ReturnRequest

KEPT = ("exchange", "store_credit")


def returns(session: Session, brand: str, rng: Range):
    """Lines of returns requested in the range: by reason, by product (against units sold in
    orders placed in the range) and the value kept as exchanges or store credit."""
    where = (ReturnRequest.brand == brand, rng.within(ReturnRequest.created_at))
    value = func.sum(ReturnLine.qty * OrderItem.price)
    base = (
        select()
        .select_from(ReturnLine)
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .join(OrderItem, OrderItem.id == ReturnLine.order_item_id)
        .where(*where)
    )
    reasons = [
        {"reason": r, "lines": n, "units": int(q or 0)}
        for r, n, q in session.exec(
            base.add_columns(ReturnLine.reason, func.count(), func.sum(ReturnLine.qty))
            .group_by(ReturnLine.reason)
            .order_by(func.count().desc(), ReturnLine.reason)
        ).all()
    ]
    returned = {
        sku: (name, int(q or 0))
        for sku, name, q in session.exec(
            base.add_columns(
                OrderItem.sku, func.max(OrderItem.name), func.sum(ReturnLine.qty)
            ).group_by(OrderItem.sku)
        ).all()
    }
    sold = (
        dict(
            session.exec(
                select(OrderItem.sku, func.sum(OrderItem.qty))
                .join(Order, Order.id == OrderItem.order_id)
                .where(
                    Order.brand == brand,
                    rng.within(Order.placed_at),
                    col(OrderItem.sku).in_(returned),
                )
                .group_by(OrderItem.sku)
            ).all()
        )
        if returned
        else {}
    )
    products = sorted(
        (
            {
                "sku": sku,
                "name": name,
                "returned": q,
                "sold": int(sold.get(sku) or 0),
                "rate": ratio(q, int(sold.get(sku) or 0)),
            }
            for sku, (name, q) in returned.items()
        ),
        key=lambda r: (-r["returned"], r["sku"]),
    )
    total_value, kept_value, total_lines, kept_lines = session.exec(
        base.add_columns(
            value,
            func.sum(
                case(
                    (col(ReturnLine.resolution).in_(KEPT), ReturnLine.qty * OrderItem.price),
                    else_=0,
                )
            ),
            func.count(),
            func.sum(case((col(ReturnLine.resolution).in_(KEPT), 1), else_=0)),
        )
    ).one()
    kept = {
        "lines": int(total_lines or 0),
        "kept_lines": int(kept_lines or 0),
        "share": ratio(int(kept_lines or 0), int(total_lines or 0)),
        "value": int(total_value or 0),
        "kept_value": int(kept_value or 0),
    }
    return reasons, products, kept
