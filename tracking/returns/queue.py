"""The staff returns queue beyond the search: one photo of a brand's return, and approving many
checked returns at once (each only at the version staff saw)."""

from __future__ import annotations

from sqlmodel import Session

from tracking.brands.brand import Brand
from tracking.returns import queries, transitions
from tracking.returns.models import ReturnPhoto, ReturnRequest


def photo_of(
    session: Session, brand: str, photo_id: int
) -> tuple[ReturnPhoto, ReturnRequest] | None:
    """The photo with this id and its return, if the return is ``brand``'s; else None."""
    pic = session.get(ReturnPhoto, photo_id)
    rr = session.get(ReturnRequest, pic.return_id) if pic else None
    if pic is None or rr is None or rr.brand != brand:
        return None
    return pic, rr


def approve_many(
    session: Session, brand: Brand, picks: list[tuple[str, int | None]], *, actor: str, reason: str
) -> tuple[int, int]:
    """Approve each (RMA, version seen) of ``brand``; (approved, skipped). A return that is
    unknown, has no version, changed meanwhile or cannot be approved is skipped, not forced."""
    done, skipped = 0, 0
    for rma, version in picks:
        rr = queries.by_rma(session, brand.slug, rma)
        if rr is None or version is None:
            skipped += 1
            continue
        try:
            transitions.transition(
                session, brand, rr, "approve", actor=actor, reason=reason, expected_version=version
            )
            done += 1
        except transitions.TransitionError:
            skipped += 1
    return done, skipped
