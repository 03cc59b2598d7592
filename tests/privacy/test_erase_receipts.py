"""What an erasure must leave alone: another person's idempotency receipt (an address with
"_" or "%" is not a pattern) and mail whose outcome the figures count."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from tests.factories import make_order
from tracking.mail.models import Notification
from tracking.orders.models import IntakeReceipt
from tracking.privacy.erase import erase_subject
from tracking.privacy.subject import Subject


def _receipt(session, key: str, email: str) -> IntakeReceipt:
    receipt = IntakeReceipt(
        brand="sakura-tea", scope="api", key=key, status=201, body={"email": email}
    )
    session.add(receipt)
    return receipt


def test_an_address_with_like_wildcards_blanks_only_its_own_receipts(session):
    make_order(session, email="a_b%c@example.com")
    _receipt(session, "mine", "a_b%c@example.com")
    _receipt(session, "neighbour", "aXbYZc@example.com")  # matches a_b%c as a LIKE pattern
    session.commit()

    erasure = erase_subject(session, Subject.of("sakura-tea", "a_b%c@example.com"), Path("."))
    session.commit()

    bodies = {r.key: r.body for r in session.exec(select(IntakeReceipt))}
    assert erasure.receipts == 1
    assert bodies["mine"] == {}
    assert bodies["neighbour"] == {"email": "aXbYZc@example.com"}


def test_mail_already_given_up_keeps_its_outcome(session):
    order = make_order(session, email="gone@example.com")
    for status in ("queued", "sending", "failed", "sent"):
        session.add(
            Notification(
                brand="sakura-tea",
                order_id=order.id,
                kind="shipped",
                dedupe_key=f"test:{status}",
                to_address=order.email,
                subject="Shipped",
                body_text="Dear Test",
                status=status,
            )
        )
    session.commit()

    erase_subject(session, Subject.of("sakura-tea", "gone@example.com"), Path("."))
    session.commit()

    mails = session.exec(select(Notification).where(Notification.order_id == order.id)).all()
    assert sorted(m.status for m in mails) == ["erased", "erased", "failed", "sent"]
    assert all(m.to_address == "" for m in mails)
