"""SQL budgets of the pages a render cache cannot help (issue 23): the lookup POST, the return
form, the staff returns queue and the dashboard home. Each runs a small fixed number of
statements, and the same number whether its order, queue or watchlist holds a few rows or many
(no query per row). SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import (
    STAFF_PASSWORD,
    items_of,
    make_order,
    make_parcel,
    make_return,
    make_staff,
)
from tests.support.queries import counted_queries
from tracking.page.models import Inquiry
from tracking.timeutil import utcnow

BRAND = "sakura-tea"


def _statements(app, call) -> int:
    with counted_queries(app) as statements:
        response = call()
    assert response.status_code < 500, response.status_code
    return len(statements)


def _items(n: int) -> list[dict]:
    return [{"sku": f"S-{i}", "name": f"item {i}", "qty": 1, "price": 1000} for i in range(n)]


@pytest.fixture
def staff_client(app, session):
    with app.app_context():
        user = make_staff(session, BRAND)
    client = app.test_client()
    r = client.post("/admin/login", data={"email": user.email, "password": STAFF_PASSWORD})
    assert r.status_code == 303
    return client


def test_a_lookup_is_one_query_right_wrong_or_unknown(app, client, session):
    with app.app_context():
        order = make_order(session, email="hanako@example.com")
    url = f"/{BRAND}/lookup"
    right = {"number": order.number, "contact": "hanako@example.com"}
    wrong = {**right, "contact": "someone@example.com"}
    unknown = {**right, "number": "T-99999"}
    counts = [
        _statements(app, lambda d=d: client.post(url, data=d)) for d in (right, wrong, unknown)
    ]
    assert counts == [1, 1, 1]


def test_the_return_form_reads_the_same_for_two_items_or_twenty(app, client, session, token_for):
    with app.app_context():
        brand = app.extensions["todoku_brands"][BRAND]
        small = make_order(session, items=_items(2))
        large = make_order(session, items=_items(20), ship=False)
        rows = items_of(session, large)
        for k in range(4):  # four parcels of five items, and a return already made
            make_parcel(
                session,
                large,
                items=rows[k * 5 : k * 5 + 5],
                status="delivered",
                shipped_at=utcnow() - timedelta(days=3),
                delivered_at=utcnow() - timedelta(days=1),
            )
        session.commit()
        make_return(session, brand, large, (rows[0], 1, "changed_mind", "refund"))
        urls = [f"/{BRAND}/o/{token_for(o)}/return" for o in (small, large)]
    counts = [_statements(app, lambda u=u: client.get(u)) for u in urls]
    assert counts[0] == counts[1] <= 4, counts


def test_the_returns_queue_reads_the_same_for_two_returns_or_twelve(app, staff_client, session):
    brand = app.extensions["todoku_brands"][BRAND]
    counts = []
    for n in (2, 12):
        with app.app_context():
            for _ in range(n - (2 if n == 12 else 0)):
                make_return(session, brand, make_order(session))
        counts.append(_statements(app, lambda: staff_client.get(f"/admin/{BRAND}/returns")))
    assert counts[0] == counts[1] <= 3, counts


def test_the_dashboard_home_reads_the_same_for_one_problem_or_many(app, staff_client, session):
    counts = []
    for n in (1, 10):
        with app.app_context():
            for _ in range(n - (1 if n == 10 else 0)):
                order = make_order(session, ship=False)
                make_parcel(
                    session,
                    order,
                    items=items_of(session, order),
                    status="exception",
                    shipped_at=utcnow() - timedelta(days=2),
                )
                session.add(
                    Inquiry(brand=BRAND, order_id=order.id, message="?", reply_by=utcnow().date())
                )
                session.commit()
        counts.append(_statements(app, lambda: staff_client.get(f"/admin/{BRAND}/")))
    assert counts[0] == counts[1] <= 4, counts
