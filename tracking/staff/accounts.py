"""A brand's staff accounts as the owner manages them: the list, one account, switching one off
or on (switched off, every session of it ends at once). Creating one is ``auth.create_staff``."""

from __future__ import annotations

from sqlmodel import Session, select

from tracking.staff.models import StaffUser


def accounts(session: Session, brand: str) -> list[StaffUser]:
    """``brand``'s accounts by email address."""
    return list(
        session.exec(select(StaffUser).where(StaffUser.brand == brand).order_by(StaffUser.email))
    )


def account_of(session: Session, brand: str, account_id: int) -> StaffUser | None:
    """``brand``'s account with this id, or None (also for another brand's)."""
    account = session.get(StaffUser, account_id)
    return account if account is not None and account.brand == brand else None


def switch_active(session: Session, account: StaffUser) -> None:
    """Switch the account off (or on again); commits."""
    account.active = not account.active
    account.session_version += 1  # switched off: every session of it ends now
    session.add(account)
    session.commit()
