"""One store-credit code per credit under concurrency, on PostgreSQL with real threads: many
staff (or retries) issuing the same credit at once get one code and one mail; many returns
credited at once from one pool never share a code."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlmodel import Session, select

from tests.factories import items_of, make_order, make_return
from tracking.db import make_engine
from tracking.mail import coupons
from tracking.mail.models import CouponCode, Notification
from tracking.returns import transitions
from tracking.returns.models import ReturnRequest, StoreCredit

THREADS = 12


@pytest.fixture
def brand(app):
    return app.extensions["todoku_brands"]["sakura-tea"]


def inspected_credit(app, session, brand) -> int:
    order = make_order(session)
    yun, _ = items_of(session, order)
    with app.app_context():
        rr = make_return(session, brand, order, (yun, 1, "changed_mind", "store_credit"))
        for step in ("approve", "receive", "inspect"):
            transitions.transition(session, brand, rr, step, actor="staff:t@x")
    return rr.id


def fire(app, database_url, brand, return_ids: list[int]) -> list:
    """Each thread credits ``return_ids[i]`` in its own session and connection, all released
    at one barrier; each result is "ok", a TransitionError code, or an unexpected error."""
    engine = make_engine(database_url, pool_size=len(return_ids), max_overflow=0)
    barrier = threading.Barrier(len(return_ids))
    results: list = [None] * len(return_ids)

    def worker(i: int) -> None:
        with app.app_context(), Session(engine, expire_on_commit=False) as s:
            rr = s.get(ReturnRequest, return_ids[i])
            barrier.wait(60)
            try:
                transitions.transition(s, brand, rr, "credit", actor=f"staff:{i}@x")
                results[i] = "ok"
            except transitions.TransitionError as exc:
                results[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - reported by the assertions
                results[i] = repr(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(return_ids))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    engine.dispose()
    assert not any(t.is_alive() for t in threads)
    return results


def test_one_credit_issued_by_many_at_once_gets_one_code_and_one_mail(
    app, session, brand, database_url
):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    return_id = inspected_credit(app, session, brand)
    results = fire(app, database_url, brand, [return_id] * THREADS)
    assert Counter(results) == {"ok": 1, "stale": THREADS - 1}, results
    session.expire_all()
    credits = session.exec(select(StoreCredit).where(StoreCredit.return_id == return_id)).all()
    assert len(credits) == 1
    rr = session.get(ReturnRequest, return_id)
    assert (rr.status, rr.version) == ("credited", 5)
    mails = session.exec(
        select(Notification).where(Notification.dedupe_key == f"return:{rr.rma}:credited")
    ).all()
    assert len(mails) == 1 and credits[0].code in mails[0].body_text


def test_many_returns_credited_at_once_never_share_a_pool_code(app, session, brand, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    pooled = brand.model_copy(
        update={"returns": brand.returns.model_copy(update={"store_credit_codes": "pool"})}
    )
    ids = [inspected_credit(app, session, brand) for _ in range(THREADS)]
    with app.app_context():
        codes = "\n".join(f"GIFT-{n:03d}" for n in range(THREADS - 2))  # two too few
        coupons.import_csv(session, "sakura-tea", codes, "store_credit")
    results = fire(app, database_url, pooled, ids)
    assert Counter(results) == {"ok": THREADS - 2, "no_codes": 2}, results
    session.expire_all()
    credits = session.exec(select(StoreCredit)).all()
    assert len(credits) == THREADS - 2
    assert len({c.code for c in credits}) == len(credits)  # never one code twice
    assert len({c.return_id for c in credits}) == len(credits)  # one code per credit
    issued = session.exec(select(CouponCode).where(CouponCode.issued_at.is_not(None))).all()
    assert sorted(c.code for c in issued) == sorted(c.code for c in credits)
