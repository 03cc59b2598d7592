"""The normalized shipment status every adapter maps onto (see shared design, "carrier layer")."""

from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    ATTEMPT_FAILED = "attempt_failed"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    DELAYED = "delayed"
    EXCEPTION = "exception"
    RETURNING_TO_SENDER = "returning_to_sender"
    RETURNED_TO_SENDER = "returned_to_sender"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset(
    {Status.DELIVERED, Status.RETURNED_TO_SENDER, Status.CANCELLED, Status.EXPIRED}
)
