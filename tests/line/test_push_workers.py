"""Two workers share the outbox's LINE rows on PostgreSQL: each push is sent exactly once
(``FOR UPDATE SKIP LOCKED`` and the claim token, as for mail)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import Session

from tests.line.test_push import change, linked_order, tokyo
from tracking.db import get_engine
from tracking.mail import line_outbox


def test_two_workers_push_each_milestone_once(app, session, line_api, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the race needs PostgreSQL's row locks")
    now = tokyo(10)
    with app.app_context():
        orders = [linked_order(session, when=now, user=f"U{i:032x}") for i in range(40)]
        for order in orders:
            change(app, session, order, now)
    start = threading.Barrier(2)
    sent: list[int] = []

    def worker():
        with app.app_context(), Session(get_engine(app), expire_on_commit=False) as s:
            start.wait()
            total = 0
            while batch := line_outbox.deliver_pending(s, now=now + timedelta(seconds=1), limit=5):
                total += batch
            sent.append(total)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sum(sent) == 40
    per_user = Counter(r["json"]["to"] for r in line_api.pushes())
    assert len(per_user) == 40 and set(per_user.values()) == {1}
