"""The return state machine against its own written-down list (tests/support/expected_rules.py), pure:
one wrong, missing or extra row in ``machine.TABLE`` fails here."""

from __future__ import annotations

import pytest

from tests.support.expected_rules import (
    ACTIONS,
    CUSTOMER_ACTIONS,
    ILLEGAL,
    LEGAL,
    LEGAL_TRANSITIONS,
    STAFF_ACTIONS,
    STATUSES,
    TERMINAL,
)
from tracking.returns import machine


@pytest.mark.parametrize(("start", "action", "end"), LEGAL_TRANSITIONS)
def test_each_legal_transition(start, action, end):
    assert machine.target(start, action) == end


@pytest.mark.parametrize(("start", "action"), ILLEGAL)
def test_each_illegal_transition_has_no_target(start, action):
    assert machine.target(start, action) is None


def test_nothing_beyond_the_list():
    # An extra row with a status or action outside the lists would escape the two tests above.
    assert dict(machine.TABLE) == LEGAL
    assert list(machine.STATUSES) == STATUSES
    assert sorted(machine.ACTIONS) == sorted(ACTIONS)


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_a_terminal_return_never_moves_again(status):
    assert machine.actions_from(status) == []
    assert machine.actions_from(status, "customer") == []
    assert all(machine.target(status, a) is None for a in ACTIONS)


def test_terminal_and_released_sets():
    assert machine.TERMINAL == TERMINAL
    # Items of a rejected or cancelled return may be asked for again; never of a closed one.
    assert {"rejected", "cancelled"} == machine.RELEASED


def test_customers_may_cancel_before_shipping_and_ship_once_approved():
    assert machine.CUSTOMER_ACTIONS == CUSTOMER_ACTIONS
    assert machine.STAFF_ACTIONS == STAFF_ACTIONS
    by_customer = {s: machine.actions_from(s, "customer") for s in STATUSES}
    assert by_customer == {
        s: (["ship", "cancel"] if s == "approved" else ["cancel"])
        if s in {"requested", "needs_review", "approved"}
        else []
        for s in STATUSES
    }


@pytest.mark.parametrize("status", STATUSES)
def test_staff_actions_from_each_status(status):
    expected = [a for (s, a, _t) in LEGAL_TRANSITIONS if s == status and a != "cancel"]
    assert sorted(machine.actions_from(status)) == sorted(expected)
    assert sorted(machine.actions_from(status, "staff")) == sorted(expected)


@pytest.mark.parametrize("actor_kind", ["admin", "Customer", "", "system"])
def test_an_unknown_actor_kind_is_refused_not_taken_for_staff(actor_kind):
    with pytest.raises(ValueError) as refused:
        machine.actions_from("requested", actor_kind)
    assert str(refused.value) == f"unknown actor kind: {actor_kind!r}"


def test_the_two_actor_kinds_by_name():
    assert machine.allowed_actions("customer") == CUSTOMER_ACTIONS
    assert machine.allowed_actions("staff") == STAFF_ACTIONS
