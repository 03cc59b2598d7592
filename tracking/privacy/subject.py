"""Whose data a request is about: a brand and an address (compared as orders store it)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, or_, select

from tracking import normalize
from tracking.orders.models import ImportJob, Order
from tracking.returns.models import ReturnRequest


@dataclass(frozen=True)
class Subject:
    brand: str
    email: str

    @classmethod
    def of(cls, brand: str, email: str) -> Subject:
        return cls(brand=brand, email=normalize.email(email))


def orders_of(session: Session, subject: Subject) -> list[Order]:
    """Every order of the brand placed with the address, or with a return filed from it."""
    via_returns = select(ReturnRequest.order_id).where(
        ReturnRequest.brand == subject.brand, ReturnRequest.email == subject.email
    )
    return list(
        session.exec(
            select(Order)
            .where(
                Order.brand == subject.brand,
                or_(Order.email == subject.email, Order.id.in_(via_returns)),
            )
            .order_by(Order.id)
        )
    )


def import_jobs_of(session: Session, subject: Subject) -> list[ImportJob]:
    """Staff uploads of the brand whose stored file or row report mentions the address. Files
    are kept ``IMPORT_KEEP_DAYS`` and reports ``IMPORT_ROWS_KEEP_DAYS``; within that time they
    are data about the person too. Addresses are ASCII, so the bytes are searched as they are
    (UTF-8 and Shift_JIS files alike)."""
    needle = subject.email.encode("ascii", "ignore")
    if not needle:
        return []
    found = []
    for job in session.exec(
        select(ImportJob).where(ImportJob.brand == subject.brand).order_by(ImportJob.id)
    ):
        in_file = job.data is not None and needle in job.data.lower()
        in_report = subject.email in json.dumps(job.report or {}, ensure_ascii=False).lower()
        if in_file or in_report:
            found.append(job)
    return found
