"""Staff accounts and API keys of a brand."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from tracking.timeutil import utcnow


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_users"

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(index=True, max_length=64)
    email: str = Field(unique=True, max_length=254)  # one account, one brand
    password_hash: str = Field(max_length=255)
    active: bool = True
    # "owner" manages staff accounts, API keys and alert settings; "staff" works the daily pages.
    role: str = Field(default="staff", max_length=16)
    # Bumped on logout and password change: every older session cookie stops working.
    session_version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(index=True, max_length=64)
    name: str = Field(max_length=100)
    prefix: str = Field(unique=True, max_length=16)  # shown in lists; finds the row
    key_hash: str = Field(max_length=64)  # sha256 of the whole key (256 random bits)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
