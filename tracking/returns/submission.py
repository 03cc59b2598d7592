"""Submitting a return request: the customer's lines, photos and (for cash-on-delivery refunds)
bank details, checked against the policy and stored once.

Submitting locks the order row first (a conditional write, which also takes SQLite's write lock)
so quantities are counted once, and the form's key makes a double submit return the first
request. Commits or raises ``SubmissionError``."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracking import normalize
from tracking.brands.brand import Brand
from tracking.orders.models import Order
from tracking.outbound import sources as outbound
from tracking.returns import photos, policy
from tracking.returns.eligibility import returnable_items
from tracking.returns.links import status_url
from tracking.returns.models import ReturnEvent, ReturnLine, ReturnPhoto, ReturnRequest
from tracking.returns.notify import notify
from tracking.returns.policy import LineInput
from tracking.timeutil import utcnow

RMA_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and hand-written
BANK_FIELDS = ("bank_name", "branch_name", "account_type", "account_number", "account_holder")
ACCOUNT_TYPES = ("ordinary", "current")  # 普通, 当座


class SubmissionError(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}={v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Submission:
    key: str
    lines: list[LineInput]
    note: str = ""
    bank: dict[str, str] = field(default_factory=dict)
    photos: dict[int, list[bytes]] = field(default_factory=dict)


@dataclass(frozen=True)
class Prepared:
    """A submission made ready outside the lock: its photos re-encoded (the slow part) and what
    re-encoding refused, where photos go, and the request's time."""

    sub: Submission
    photos: dict[int, list[tuple[bytes, int, int]]]
    photo_errors: dict[str, str]
    upload_dir: Path
    now: datetime


def prior_requests(session: Session, brand: Brand, email: str, now: datetime) -> int:
    since = now - timedelta(days=brand.returns.cap_period_days)
    return session.exec(
        select(func.count(ReturnRequest.id)).where(
            ReturnRequest.brand == brand.slug,
            ReturnRequest.email == email,
            ReturnRequest.created_at >= since,
            col(ReturnRequest.status).not_in(("cancelled",)),
        )
    ).one()


def needs_bank_details(brand: Brand, order: Order, lines: list[LineInput]) -> bool:
    return (
        brand.returns.cod_bank_details
        and order.payment_method == "cod"
        and any(line.qty > 0 and line.resolution == "refund" for line in lines)
    )


def validate_bank(bank: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(cleaned details, errors). The holder is in katakana as banks print it (口座名義カナ)."""
    clean = {k: normalize.clean(bank.get(k, ""))[:100] for k in BANK_FIELDS}
    errors = {}
    for key in ("bank_name", "branch_name"):
        if not clean[key]:
            errors[f"bank-{key}"] = "required"
    if clean["account_type"] not in ACCOUNT_TYPES:
        errors["bank-account_type"] = "required"
    if not re.fullmatch(r"\d{7}", clean["account_number"]):
        errors["bank-account_number"] = "account_number"
    if not re.fullmatch(r"[\u30a0-\u30ff\u3000 ()（）.\-]+", clean["account_holder"]):
        errors["bank-account_holder"] = "account_holder"
    return clean, errors


@dataclass(frozen=True)
class Review:
    """The summary step: what sending would store, checked but not stored (no photos yet: their
    fields come with the summary, for the reasons that need them)."""

    errors: dict[str, str]
    quote: policy.Quote | None = None
    lines: tuple[LineInput, ...] = ()
    bank: dict[str, str] = field(default_factory=dict)
    photos_needed: dict[int, int] = field(default_factory=dict)  # item id → photos required


def review(
    session: Session, brand: Brand, order: Order, sub: Submission, now: datetime | None = None
) -> Review:
    """Check the lines and bank details as ``submit`` will, and quote them. Photo counts are
    not checked here: the summary asks for the photos."""
    rpolicy = brand.returns
    items = {
        r.item.id: r.eligibility for r in returnable_items(session, brand, order, now or utcnow())
    }
    needed = {}
    for line in sub.lines:
        reason = rpolicy.reason(line.reason)
        if line.qty > 0 and reason and reason.photos:
            needed[line.item_id] = reason.photos
    checked = [
        LineInput(
            ln.item_id, ln.qty, ln.reason, ln.resolution, ln.variant, ln.note, policy.MAX_PHOTOS
        )
        for ln in sub.lines
    ]
    errors = {
        k: v
        for k, v in policy.validate_lines(rpolicy, items, checked).items()
        if not k.endswith("-photos")
    }
    bank: dict[str, str] = {}
    if needs_bank_details(brand, order, sub.lines):
        bank, bank_errors = validate_bank(sub.bank)
        errors.update(bank_errors)
    if errors:
        return Review(errors)
    lines = tuple(line for line in sub.lines if line.qty > 0)
    return Review({}, policy.quote(rpolicy, items, list(lines)), lines, bank, needed)


def new_rma(prefix: str) -> str:
    return f"{prefix}-" + "".join(secrets.choice(RMA_ALPHABET) for _ in range(6))


def _by_key(session: Session, order_id: int, key: str) -> ReturnRequest | None:
    return session.exec(
        select(ReturnRequest).where(
            ReturnRequest.order_id == order_id, ReturnRequest.submission_key == key
        )
    ).first()


def _lock_order(session: Session, order_id: int) -> None:
    # A write first: on PostgreSQL it locks the order row; on SQLite it takes the database
    # write lock before anything is read, so two submissions never count the same items.
    session.exec(update(Order).where(col(Order.id) == order_id).values(updated_at=utcnow()))


def process_photos(sub: Submission) -> tuple[dict[int, list[tuple[bytes, int, int]]], dict]:
    """Re-encode every upload before any lock is taken (it is the slow part)."""
    done: dict[int, list[tuple[bytes, int, int]]] = {}
    errors: dict[str, str] = {}
    for item_id, blobs in sub.photos.items():
        if len(blobs) > policy.MAX_PHOTOS:
            errors[f"{item_id}-photos"] = "too_many_photos"
            continue
        for blob in blobs:
            try:
                done.setdefault(item_id, []).append(photos.reencode(blob))
            except photos.PhotoError as exc:
                errors[f"{item_id}-photos"] = f"photo_{exc.code}"
                break
    return done, errors


def submit(
    session: Session,
    brand: Brand,
    order: Order,
    sub: Submission,
    *,
    upload_dir: Path,
    now: datetime | None = None,
) -> ReturnRequest:
    """Create the return request, or return the one this form already created.

    Raises SubmissionError with field errors; nothing is stored then.
    """
    now = now or utcnow()
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", sub.key or ""):
        raise SubmissionError({"form": "stale_form"})
    existing = _by_key(session, order.id, sub.key)
    if existing is not None:
        return existing
    encoded, errors = process_photos(sub)
    for line in sub.lines:
        line.photo_count = len(encoded.get(line.item_id, []))
    prepared = Prepared(sub, encoded, errors, upload_dir, now)
    for attempt in range(5):
        try:
            return _submit_locked(session, brand, order, prepared)
        except IntegrityError:
            session.rollback()
            existing = _by_key(session, order.id, sub.key)
            if existing is not None:  # the same form won a race with itself
                return existing
            if attempt == 4:  # five RMA collisions in a row: something else is wrong
                raise
    raise AssertionError("unreachable")


def _submit_locked(
    session: Session, brand: Brand, order: Order, prepared: Prepared
) -> ReturnRequest:
    sub, now = prepared.sub, prepared.now
    _lock_order(session, order.id)
    existing = _by_key(session, order.id, sub.key)
    if existing is not None:
        session.rollback()
        return existing
    rpolicy = brand.returns
    items = {r.item.id: r.eligibility for r in returnable_items(session, brand, order, now)}
    errors = policy.validate_lines(rpolicy, items, sub.lines)
    errors.update(
        prepared.photo_errors
    )  # "this file is not a photo" says more than "photo missing"
    bank: dict[str, str] = {}
    if needs_bank_details(brand, order, sub.lines):
        bank, bank_errors = validate_bank(sub.bank)
        errors.update(bank_errors)
    if errors:
        session.rollback()
        raise SubmissionError(errors)
    lines = [line for line in sub.lines if line.qty > 0]
    prior = prior_requests(session, brand, order.email, now)
    q = policy.quote(rpolicy, items, lines)
    status = "needs_review" if policy.over_cap(rpolicy, prior) else "requested"
    rr = ReturnRequest(
        brand=brand.slug,
        order_id=order.id,
        rma=new_rma(rpolicy.rma_prefix),
        submission_key=sub.key,
        status=status,
        email=order.email,
        locale=order.locale or brand.default_locale,
        customer_note=normalize.clean(sub.note)[:2000],
        fault=q.fault,
        return_shipping_paid_by=q.return_shipping_paid_by,
        restocking_fee=q.restocking_fee,
        refund_estimate=q.refund_estimate,
        refund_amount=q.refund_amount,
        credit_amount=q.credit_amount,
        bank_details=bank,
        policy_checks=policy.checks(rpolicy, items, lines, prior),
        created_at=now,
        updated_at=now,
    )
    session.add(rr)
    session.flush()
    for line in lines:
        reason = rpolicy.reason(line.reason)
        row = ReturnLine(
            return_id=rr.id,
            order_item_id=line.item_id,
            qty=line.qty,
            reason=line.reason,
            fault=reason.fault if reason else "customer",
            resolution=line.resolution,
            exchange_variant=line.variant if line.resolution == "exchange" else "",
            note=normalize.clean(line.note)[:1000],
        )
        session.add(row)
        session.flush()
        for jpeg, width, height in prepared.photos.get(line.item_id, []):
            name = photos.store(prepared.upload_dir, jpeg)
            session.add(
                ReturnPhoto(
                    return_id=rr.id,
                    line_id=row.id,
                    stored_name=name,
                    width=width,
                    height=height,
                    size=len(jpeg),
                )
            )
    session.add(
        ReturnEvent(
            return_id=rr.id,
            action="submit",
            to_status=status,
            actor="customer",
            reason="over_cap" if status == "needs_review" else "",  # display.EVENT_REASONS
            created_at=now,
        )
    )
    notify(session, brand, rr, order, status, now=now, receipt=True)  # the customer's own
    outbound.return_updated(
        session,
        brand,
        order,
        return_id=rr.id,
        rma=rr.rma,
        status=status,
        previous="",
        action="submit",
        version=rr.version,
        link=status_url(brand.slug, rr),
        now=now,
    )
    session.commit()
    return rr
