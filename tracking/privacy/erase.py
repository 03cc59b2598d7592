"""``privacy erase`` and retention: remove or blank the personal data of a set of orders while
keeping every row the figures count (orders, parcels and their events, return lines and
resolutions, ratings, page views, mail sent), so a shop's numbers do not change when a customer
leaves. Each erased order's history says so ("erased on request" or "retention").

Blanked: names, addresses, phone numbers, postcodes and email addresses; free text (return notes
and reasons, questions and replies, feedback comments); bank details; mail bodies and recipients
(LINE's too). Deleted: return photos (rows and files), the order's LINE links and codes (the
LINE user id). Kept on purpose: the unsubscribe list (an erased
address must stay unsubscribed: it is the customer's own instruction), products and amounts,
tracking numbers and carrier scans (about the parcel, not the person).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import String, cast, update
from sqlmodel import Session, col, select

from tracking.line.models import LineCode, LineLink
from tracking.mail.models import Notification
from tracking.orders.models import IntakeReceipt, Order, OrderChange
from tracking.orders.parcels import record_change
from tracking.outbound.events import forget_orders as forget_webhook_events
from tracking.page.models import Feedback, Inquiry
from tracking.privacy.subject import Subject, import_jobs_of, orders_of
from tracking.returns.models import ReturnEvent, ReturnLine, ReturnPhoto, ReturnRequest
from tracking.timeutil import utcnow

PERSONAL_ORDER_FIELDS = ("email", "name", "phone", "postcode", "address")
# Mail not yet sent to an erased order is never sent: there is no address left to send it to.
# Mail with an outcome (sent, failed, stale…) keeps it: the dashboard counts outcomes.
UNSENT = ("queued", "sending")
ERASED = "erased"
SOURCES = {"request": "privacy:request", "retention": "privacy:retention"}


@dataclass
class Erasure:
    orders: int = 0
    returns: int = 0
    photos: int = 0
    mails: int = 0
    questions: int = 0
    feedback: int = 0
    receipts: int = 0
    uploads: int = 0
    photo_files: list[Path] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}


def erase_subject(session: Session, subject: Subject, upload_dir: Path) -> Erasure:
    """Erase everything held about ``subject`` (does not commit)."""
    orders = orders_of(session, subject)
    erasure = erase_orders(session, orders, upload_dir, why="request")
    # Mail to the address that belongs to no order (a staff reply, say).
    loose = session.exec(
        select(Notification).where(
            Notification.brand == subject.brand,
            Notification.to_address == subject.email,
            col(Notification.order_id).is_(None),
        )
    ).all()
    for note in loose:
        _blank_mail(note)
    erasure.mails += len(loose)
    erasure.receipts += _blank_receipts(session, subject.brand, [subject.email])
    erasure.uploads = _forget_uploads(session, subject)
    return erasure


def erase_orders(session: Session, orders: list[Order], upload_dir: Path, *, why: str) -> Erasure:
    """Blank the personal data of ``orders`` (does not commit). ``photo_files`` lists the files
    to delete once the caller has committed (files are not transactional)."""
    erasure = Erasure()
    if not orders:
        return erasure
    ids = [o.id for o in orders]
    addresses = sorted({o.email for o in orders if o.email})
    now = utcnow()
    for order in orders:
        for name in PERSONAL_ORDER_FIELDS:
            setattr(order, name, "")
        order.updated_at = now
        session.add(order)
    erasure.orders = len(orders)

    for change in session.exec(select(OrderChange).where(col(OrderChange.order_id).in_(ids))):
        scrubbed = {
            key: (["", ""] if key in PERSONAL_ORDER_FIELDS else value)
            for key, value in change.changes.items()
        }
        if scrubbed != change.changes:
            change.changes = scrubbed
            session.add(change)

    requests = session.exec(select(ReturnRequest).where(col(ReturnRequest.order_id).in_(ids))).all()
    return_ids = [r.id for r in requests]
    for request in requests:
        request.email = ""
        request.customer_note = ""
        request.bank_details = {}
        session.add(request)
    erasure.returns = len(requests)
    if return_ids:
        session.exec(
            update(ReturnLine).where(col(ReturnLine.return_id).in_(return_ids)).values(note="")
        )
        session.exec(
            update(ReturnEvent).where(col(ReturnEvent.return_id).in_(return_ids)).values(reason="")
        )
        photos = session.exec(
            select(ReturnPhoto).where(col(ReturnPhoto.return_id).in_(return_ids))
        ).all()
        for photo in photos:
            erasure.photo_files.append(upload_dir / photo.stored_name)
            session.delete(photo)
        erasure.photos = len(photos)

    for note in session.exec(select(Notification).where(col(Notification.order_id).in_(ids))):
        _blank_mail(note)
        erasure.mails += 1
    for question in session.exec(select(Inquiry).where(col(Inquiry.order_id).in_(ids))):
        question.message = ""
        question.reply = ""
        session.add(question)
        erasure.questions += 1
    for rating in session.exec(select(Feedback).where(col(Feedback.order_id).in_(ids))):
        rating.comment = ""
        session.add(rating)
        erasure.feedback += 1
    erasure.receipts = _blank_receipts(session, orders[0].brand, addresses)
    # The LINE user id is the customer's: the link and its codes go (no more pushes).
    for row in session.exec(select(LineLink).where(col(LineLink.order_id).in_(ids))):
        session.delete(row)
    for row in session.exec(select(LineCode).where(col(LineCode.order_id).in_(ids))):
        session.delete(row)
    forget_webhook_events(session, ids)

    for order in orders:
        record_change(session, order, SOURCES[why], {"personal_data": ["", ERASED]}, now)
    return erasure


def _blank_mail(note: Notification) -> None:
    note.to_address = ""
    note.body_text = ""
    note.body_html = ""
    if note.status in UNSENT:
        note.status = ERASED
        note.claim_token = ""
        note.claimed_until = None


def _blank_receipts(session: Session, brand: str, addresses: list[str]) -> int:
    """An API idempotency receipt keeps the answer it gave, which carries the address."""
    count = 0
    for address in addresses:
        receipts = session.exec(
            select(IntakeReceipt).where(
                IntakeReceipt.brand == brand,
                # autoescape: "_" and "%" are common in addresses and must not match others'.
                cast(IntakeReceipt.body, String).contains(address, autoescape=True),
            )
        ).all()
        for receipt in receipts:
            receipt.body = {}
            session.add(receipt)
        count += len(receipts)
    return count


def _forget_uploads(session: Session, subject: Subject) -> int:
    """Staff uploads that mention the address: the stored file goes (its import is long done or
    can be uploaded again) and the row report keeps its counts but no row error that quotes
    the address."""
    jobs = import_jobs_of(session, subject)
    for job in jobs:
        job.data = None
        if job.report:
            report = dict(job.report)
            report["errors"] = [
                [*error[:5], {}] if subject.email in str(error).lower() else error
                for error in report.get("errors", [])
            ]
            job.report = report
        session.add(job)
    return len(jobs)


def delete_files(paths: list[Path]) -> int:
    gone = 0
    for path in paths:
        try:
            path.unlink()
            gone += 1
        except FileNotFoundError:
            pass
    return gone
