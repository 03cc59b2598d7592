"""The state machine: every allowed transition, every illegal one, optimistic locking, and a
property test over random sequences of submissions and transitions."""

from __future__ import annotations

from collections import deque
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from tests.factories import items_of, make_order
from tests.support.expected_rules import ILLEGAL, LEGAL_TRANSITIONS
from tests.support.returns import submission
from tracking.mail.models import Notification
from tracking.returns import eligibility, machine, outcomes, parcel, transitions
from tracking.returns.display import RETURN_ACTION_LABELS, RETURN_STATUS_LABELS
from tracking.returns.models import ReturnEvent, ReturnLine, ReturnRequest
from tracking.returns.submission import SubmissionError, submit

_keys = count()


def key() -> str:
    return f"test-key-{next(_keys):08d}"


@pytest.fixture(autouse=True)
def app_context(app):
    """Return services mail the customer (signed link, catalogues): they run inside an app, as
    in a request, the worker or the CLI. These tests use no test client, so one context fits."""
    with app.app_context():
        yield


@pytest.fixture
def brand(app):
    return app.extensions["todoku_brands"]["sakura-tea"]


def path_to(status: str) -> list[str]:
    """Shortest list of actions from "requested" to ``status`` (breadth-first over the
    written-down list, not the machine's own table)."""
    seen, queue = {"requested"}, deque([("requested", [])])
    while queue:
        here, path = queue.popleft()
        if here == status:
            return path
        for src, action, dst in LEGAL_TRANSITIONS:
            if src == here and dst not in seen:
                seen.add(dst)
                queue.append((dst, [*path, action]))
    raise AssertionError(f"{status} unreachable")


def act(session, brand, rr, action, **kw):
    kind = "customer" if action in machine.CUSTOMER_ACTIONS else "staff"
    who = {"actor": "customer" if kind == "customer" else "staff:t@x", "actor_kind": kind}
    if action == "ship":
        kw.setdefault("carrier", "yamato")
        kw.setdefault("tracking_number", "300000000016")  # 11 digits + the mod-7 check digit
        return parcel.ship(session, brand, rr, **who, **kw)
    if action == "exchange":
        kw.setdefault("carrier", "yamato")
        kw.setdefault("tracking_number", "400000000013")  # the replacement parcel
        return outcomes.send_replacement(session, brand, rr, actor=who["actor"], **kw)
    return transitions.transition(session, brand, rr, action, **who, **kw)


ASKED = {action: resolution for resolution, action in machine.OUTCOME_ACTION.items()}


def new_request(session, brand, qty=1, resolution="refund"):
    order = make_order(session)
    item = items_of(session, order)[0]
    line = (item.id, qty, "changed_mind", resolution) + (
        ("白磁",) if resolution == "exchange" else ()
    )
    return submit(session, brand, order, submission(key(), line), upload_dir=None)


def request_for(session, brand, path: list[str]):
    """A request asking for the resolution whose outcome step lies on ``path`` (refund when
    none does), so the step after inspection is the one it asked for."""
    rr = new_request(
        session,
        brand,
        resolution=next((ASKED[a] for a in path if a in ASKED and a != "close"), "refund"),
    )
    if "inspect" in path and path[path.index("inspect") + 1 :][:1] == ["close"]:
        # Take-back (recycle): not one of this shop's resolutions, so set on the line directly.
        for line in session.exec(select(ReturnLine).where(ReturnLine.return_id == rr.id)):
            line.resolution = "recycle"
            session.add(line)
        session.commit()
    return rr


def events(session, rr):
    return session.exec(
        select(ReturnEvent).where(ReturnEvent.return_id == rr.id).order_by(ReturnEvent.id)
    ).all()


def test_every_status_is_reachable_and_labelled():
    for status in machine.STATUSES:
        path_to(status)
        assert status in RETURN_STATUS_LABELS
    for action in machine.ACTIONS:
        assert action in RETURN_ACTION_LABELS


@pytest.mark.parametrize(("start", "action", "end"), LEGAL_TRANSITIONS)
def test_every_allowed_transition(session, brand, start, action, end):
    rr = request_for(session, brand, [*path_to(start), action])
    for step in path_to(start):
        act(session, brand, rr, step)
    assert rr.status == start
    version = rr.version
    act(session, brand, rr, action, reason="because")
    session.refresh(rr)
    assert rr.status == end
    assert rr.version == version + 1
    last = events(session, rr)[-1]
    assert (last.action, last.from_status, last.to_status, last.reason) == (
        action,
        start,
        rr.status,
        "because",
    )
    assert last.actor in ("customer", "staff:t@x")
    mail = session.exec(
        select(Notification).where(Notification.dedupe_key == f"return:{rr.rma}:{rr.status}")
    ).one()
    assert mail.to_address == "buyer@example.com" and rr.rma in mail.subject


ILLEGAL_FROM = {start: [a for s, a in ILLEGAL if s == start] for start, _ in ILLEGAL}


@pytest.mark.parametrize("start", sorted(ILLEGAL_FROM))
def test_every_illegal_transition_is_refused_and_changes_nothing(session, brand, start):
    """Every action the written-down list does not allow from ``start``, tried in turn on one
    return walked there once (a refusal changes nothing, so the next try starts the same)."""
    rr = request_for(session, brand, path_to(start))
    for step in path_to(start):
        act(session, brand, rr, step)
    before = (rr.status, rr.version, len(events(session, rr)))
    for action in ILLEGAL_FROM[start]:
        try:
            act(session, brand, rr, action)
        except transitions.TransitionError as refused:
            assert refused.code in ("illegal", "forbidden"), (start, action)
        else:
            pytest.fail(f"{action!r} from {start!r} was allowed")
        session.refresh(rr)
        assert (rr.status, rr.version, len(events(session, rr))) == before, (start, action)


def test_customers_may_only_cancel(session, brand):
    rr = new_request(session, brand)
    with pytest.raises(transitions.TransitionError) as info:
        transitions.transition(
            session, brand, rr, "approve", actor="customer", actor_kind="customer"
        )
    assert info.value.code == "forbidden"
    with pytest.raises(transitions.TransitionError):
        transitions.transition(session, brand, rr, "cancel", actor="staff:x")
    transitions.transition(session, brand, rr, "cancel", actor="customer", actor_kind="customer")
    assert rr.status == "cancelled"


def test_an_unknown_actor_kind_moves_nothing(session, brand):
    rr = new_request(session, brand)
    with pytest.raises(ValueError, match="unknown actor kind"):
        transitions.transition(session, brand, rr, "approve", actor="x", actor_kind="Staff")
    assert rr.status == "requested"


def test_customer_cannot_cancel_once_shipped(session, brand):
    rr = new_request(session, brand)
    for step in ("approve", "ship"):
        act(session, brand, rr, step)
    with pytest.raises(transitions.TransitionError):
        act(session, brand, rr, "cancel")


def test_ship_needs_a_valid_tracking_number(session, brand):
    rr = new_request(session, brand)
    act(session, brand, rr, "approve")
    with pytest.raises(transitions.TransitionError) as info:
        act(session, brand, rr, "ship", tracking_number="123")
    assert info.value.code == "tracking"
    with pytest.raises(transitions.TransitionError):
        act(session, brand, rr, "ship", carrier="nope")
    act(session, brand, rr, "ship", tracking_number="3000-0000-0016")
    assert (rr.return_carrier, rr.return_tracking_number) == ("yamato", "300000000016")


def test_ship_without_its_parcel_is_refused_and_writes_nothing(session, brand):
    rr = new_request(session, brand)
    act(session, brand, rr, "approve")
    version = rr.version
    with pytest.raises(transitions.TransitionError) as info:
        transitions.transition(session, brand, rr, "ship", actor="staff:t@x")
    assert info.value.code == "tracking"
    session.refresh(rr)
    assert (rr.status, rr.version, rr.return_tracking_number) == ("approved", version, "")
    # Who may take the step is still said first: a customer may ship (their own parcel's
    # number) but never mark it received.
    with pytest.raises(transitions.TransitionError) as info:
        transitions.transition(
            session, brand, rr, "receive", actor="customer", actor_kind="customer"
        )
    assert info.value.code == "forbidden"


def test_two_staff_at_once_one_wins_the_other_is_told(session, app, brand):
    from sqlmodel import Session

    from tracking.db import get_engine

    rr = new_request(session, brand)
    with Session(get_engine(app)) as other:
        theirs = other.get(ReturnRequest, rr.id)
        act(session, brand, rr, "approve")  # first click wins
        with pytest.raises(transitions.TransitionError) as info:
            act(other, brand, theirs, "reject")  # second staff still sees "requested", version 1
        assert info.value.code == "stale"
    session.refresh(rr)
    assert rr.status == "approved" and rr.version == 2
    assert [e.action for e in events(session, rr)] == ["submit", "approve"]


def test_stale_expected_version_is_refused(session, brand):
    rr = new_request(session, brand)
    with pytest.raises(transitions.TransitionError) as info:
        act(session, brand, rr, "approve", expected_version=rr.version + 5)
    assert info.value.code == "stale"


def test_another_brands_return_cannot_be_moved(session, app, brand):
    rr = new_request(session, brand)
    other = app.extensions["todoku_brands"]["northpeak"]
    with pytest.raises(transitions.TransitionError):
        act(session, other, rr, "approve")


# --- property test ---------------------------------------------------------------------------

STEP = st.one_of(
    st.tuples(st.just("submit"), st.integers(0, 1), st.integers(1, 3)),
    st.tuples(st.sampled_from(machine.ACTIONS), st.integers(0, 5), st.just(0)),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=14))
def test_random_sequences_keep_the_invariants(session, brand, steps):
    order = make_order(session)
    items = items_of(session, order)
    shipped = {i.id: i.qty for i in items}
    requests: list[ReturnRequest] = []
    done: dict[int, int] = {}  # successful transitions per request
    for kind, pick, qty in steps:
        if kind == "submit":
            item = items[pick % len(items)]
            sub = submission(key(), (item.id, qty, "changed_mind", "refund"))
            try:
                rr = submit(session, brand, order, sub, upload_dir=None)
            except SubmissionError:
                continue
            requests.append(rr)
            done[rr.id] = 0
            continue
        if not requests:
            continue
        rr = requests[pick % len(requests)]
        before = rr.status
        try:
            act(session, brand, rr, kind)
        except transitions.TransitionError:
            session.refresh(rr)
            assert rr.status == before
        else:
            assert before not in machine.TERMINAL, "a terminal state moved"
            done[rr.id] += 1
        # Invariant 1: never more being returned than shipped.
        for item_id, total in eligibility.returned_quantities(session, order.id).items():
            assert total <= shipped[item_id]
    for rr in requests:
        session.refresh(rr)
        history = [e for e in events(session, rr) if e.to_status]
        # Invariant 2: history is complete and chained; the version counts it.
        assert len(history) == 1 + done[rr.id] == rr.version
        assert history[-1].to_status == rr.status
        for prev, nxt in zip(history, history[1:], strict=False):
            assert nxt.from_status == prev.to_status
        assert rr.status in machine.STATUSES
    lines = session.exec(
        select(ReturnLine).join(ReturnRequest).where(ReturnRequest.order_id == order.id)
    ).all()
    assert all(line.qty >= 1 for line in lines)


@pytest.mark.parametrize(
    ("locale", "subject", "body"),
    [
        ("ja", "返品（{rma}）を承認しました", "返品受付番号：{rma}"),
        ("en", "Your return {rma} is approved", "Return number: {rma}"),
    ],
)
def test_mail_is_written_in_the_orders_language(session, brand, locale, subject, body):
    order = make_order(session, locale=locale)
    item = items_of(session, order)[0]
    rr = submit(
        session,
        brand,
        order,
        submission(key(), (item.id, 1, "changed_mind", "refund")),
        upload_dir=None,
    )
    act(session, brand, rr, "approve")
    mail = session.exec(
        select(Notification).where(Notification.dedupe_key == f"return:{rr.rma}:approved")
    ).one()
    assert subject.format(rma=rr.rma) in mail.subject and mail.locale == locale
    assert (
        body.format(rma=rr.rma) in mail.body_text and "support@sakura-tea.example" in mail.body_text
    )


def test_over_the_per_customer_cap_goes_to_review_not_refusal(session, brand):
    assert brand.returns.max_requests_per_customer == 3
    statuses = []
    for _ in range(4):
        order = make_order(session, email="often@example.com")
        item = items_of(session, order)[0]
        sub = submission(key(), (item.id, 1, "changed_mind", "refund"))
        statuses.append(submit(session, brand, order, sub, upload_dir=None).status)
    assert statuses == ["requested", "requested", "requested", "needs_review"]
    last = session.exec(select(ReturnRequest).where(ReturnRequest.status == "needs_review")).one()
    cap = next(c for c in last.policy_checks if c["check"] == "customer_cap")
    assert (cap["ok"], cap["prior"], cap["cap"]) == (False, 3, 3)
    assert [e.reason for e in events(session, last)] == ["over_cap"]  # read out by display
    # Another customer is not affected.
    order = make_order(session, email="once@example.com")
    item = items_of(session, order)[0]
    sub = submission(key(), (item.id, 1, "changed_mind", "refund"))
    assert submit(session, brand, order, sub, upload_dir=None).status == "requested"
