"""The return state machine as data: (status, action) → new status, and who may act.

Everything else (views, API, bulk approve, the property test) reads this table; no status
change happens anywhere except through ``transitions.transition`` (``parcel.ship`` included).
"""

from __future__ import annotations

TABLE: dict[tuple[str, str], str] = {
    ("requested", "approve"): "approved",
    ("requested", "reject"): "rejected",
    ("requested", "review"): "needs_review",
    ("requested", "cancel"): "cancelled",
    ("needs_review", "approve"): "approved",
    ("needs_review", "reject"): "rejected",
    ("needs_review", "cancel"): "cancelled",
    ("approved", "ship"): "in_transit",  # return tracking number added
    ("approved", "receive"): "received",  # handed in at the counter, no tracking number
    ("approved", "cancel"): "cancelled",  # the customer changed their mind before shipping
    ("in_transit", "receive"): "received",
    ("received", "inspect"): "inspected",
    ("inspected", "refund"): "refunded",
    ("inspected", "exchange"): "exchanged",
    ("inspected", "credit"): "credited",
    ("inspected", "repair"): "repaired",
    ("inspected", "close"): "closed",  # recycling take-back: nothing to give back
    ("refunded", "close"): "closed",
    ("exchanged", "close"): "closed",
    ("credited", "close"): "closed",
    ("repaired", "close"): "closed",
}

STATUSES = (
    "requested",
    "needs_review",
    "approved",
    "in_transit",
    "received",
    "inspected",
    "refunded",
    "exchanged",
    "credited",
    "repaired",
    "rejected",
    "cancelled",
    "closed",
)
TERMINAL = frozenset({"rejected", "cancelled", "closed"})
# Statuses whose items no longer count as "being returned": they can be returned again.
RELEASED = frozenset({"rejected", "cancelled"})
# The customer cancels, and ships: they type the tracking number of the parcel they sent (staff
# may add it for them). Every other step is staff's.
CUSTOMER_ACTIONS = frozenset({"cancel", "ship"})
STAFF_ACTIONS = frozenset(a for _s, a in TABLE) - {"cancel"}
ACTIONS = tuple(dict.fromkeys(a for _s, a in TABLE))


def target(status: str, action: str) -> str | None:
    return TABLE.get((status, action))


def allowed_actions(actor_kind: str) -> frozenset[str]:
    """The two kinds of actor by name: an unknown kind is a caller's mistake, and silently
    treating it as staff would hand staff actions to whoever passed it."""
    if actor_kind == "customer":
        return CUSTOMER_ACTIONS
    if actor_kind == "staff":
        return STAFF_ACTIONS
    raise ValueError(f"unknown actor kind: {actor_kind!r}")


def actions_from(status: str, actor_kind: str = "staff") -> list[str]:
    allowed = allowed_actions(actor_kind)
    return [a for (s, a) in TABLE if s == status and a in allowed]


# What the customer asked for (a line's resolution) → the step after inspection that gives it.
OUTCOME_ACTION = {
    "refund": "refund",
    "exchange": "exchange",
    "store_credit": "credit",
    "repair": "repair",
    "recycle": "close",
}


def outcome_actions(resolutions) -> set[str]:
    """The outcome steps a return's resolutions ask for, one per resolution. A take-back gives
    nothing back: beside another outcome it needs no step of its own (``close`` follows)."""
    asked = {OUTCOME_ACTION[r] for r in resolutions if r in OUTCOME_ACTION}
    if len(asked) > 1:
        asked.discard("close")
    return asked


OUTCOMES = frozenset(OUTCOME_ACTION.values())


def staff_actions(status: str, resolutions, done=()) -> list[str]:
    """The steps staff are offered: after inspection only those giving what was asked for and
    not given yet (an exchange request is offered "send exchange", never "refund"; a return
    mixing a refund and an exchange is offered both, then the one left); anything else is a
    recorded change of resolution first (``returns.outcomes.change_resolution``)."""
    actions = actions_from(status, "staff")
    if status == "inspected":
        asked = outcome_actions(resolutions) - set(done)
        actions = [a for a in actions if a in asked]
    return actions


def outcome_target(action: str, resolutions, done=()) -> str | None:
    """Where an outcome step taken from ``inspected`` leads: its own status when it is the last
    outcome the return asked for, else ``inspected`` (the return waits for the others; each
    one is recorded and mailed as it is given)."""
    to = target("inspected", action)
    pending = outcome_actions(resolutions) - set(done) - {action}
    return "inspected" if to is not None and pending else to
