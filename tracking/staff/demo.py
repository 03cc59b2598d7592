"""Demo accounts per demo shop: a staff member and an owner (demo only: the password is printed by
``flask demo``)."""

from __future__ import annotations

from sqlmodel import Session, select

from tracking.staff.auth import create_staff
from tracking.staff.models import StaffUser

STAFF_PASSWORD = "todoku-demo-staff"
STAFF = {"sakura-tea": "staff@sakura-tea.example", "northpeak": "staff@northpeak.example"}
# An owner also manages staff accounts, API keys and alert settings.
OWNERS = {"sakura-tea": "owner@sakura-tea.example", "northpeak": "owner@northpeak.example"}


def load_demo(session: Session, brands: dict) -> None:
    for role, accounts in (("staff", STAFF), ("owner", OWNERS)):
        for slug, email in accounts.items():
            if (
                slug in brands
                and not session.exec(select(StaffUser).where(StaffUser.email == email)).first()
            ):
                create_staff(session, slug, email, STAFF_PASSWORD, role)


def summary(root: str) -> str:
    lines = ["Staff (demo only):"]
    for slug, email in STAFF.items():
        lines.append(f"  {slug:<11} {email} / {STAFF_PASSWORD}   {root}/admin/login")
    for slug, email in OWNERS.items():
        lines.append(f"  {slug:<11} {email} / {STAFF_PASSWORD}   (owner: settings too)")
    return "\n".join(lines)
