"""Expectations written down from the design and the carriers' documentation, never read from
the code under test: a wrong row in the code cannot make these agree with it."""

from __future__ import annotations

# The return state machine (docs/returns.md): (from, action, to). Everything else is illegal.
LEGAL_TRANSITIONS = [
    ("requested", "approve", "approved"),
    ("requested", "reject", "rejected"),
    ("requested", "review", "needs_review"),
    ("requested", "cancel", "cancelled"),
    ("needs_review", "approve", "approved"),
    ("needs_review", "reject", "rejected"),
    ("needs_review", "cancel", "cancelled"),
    ("approved", "ship", "in_transit"),
    ("approved", "receive", "received"),
    ("approved", "cancel", "cancelled"),
    ("in_transit", "receive", "received"),
    ("received", "inspect", "inspected"),
    ("inspected", "refund", "refunded"),
    ("inspected", "exchange", "exchanged"),
    ("inspected", "credit", "credited"),
    ("inspected", "repair", "repaired"),
    ("inspected", "close", "closed"),
    ("refunded", "close", "closed"),
    ("exchanged", "close", "closed"),
    ("credited", "close", "closed"),
    ("repaired", "close", "closed"),
]
STATUSES = [
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
]
ACTIONS = [
    "approve",
    "reject",
    "review",
    "cancel",
    "ship",
    "receive",
    "inspect",
    "refund",
    "exchange",
    "credit",
    "repair",
    "close",
]
TERMINAL = {"rejected", "cancelled", "closed"}
CUSTOMER_ACTIONS = {"cancel", "ship"}
STAFF_ACTIONS = set(ACTIONS) - {"cancel"}
LEGAL = {(s, a): t for s, a, t in LEGAL_TRANSITIONS}
ILLEGAL = [(s, a) for s in STATUSES for a in ACTIONS if (s, a) not in LEGAL]
