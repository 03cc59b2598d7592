"""notifications: at most one pending (queued) mail per coalesce_key, so concurrent return
updates fold into one mail (tracking.mail.coalesce)

Revision ID: 0017_pending_coalesce_index
Revises: 0016_notification_mode_timing
Create Date: 2026-12-05 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_pending_coalesce_index"
down_revision: str | None = "0016_notification_mode_timing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "status = 'queued' AND coalesce_key <> ''"


def upgrade() -> None:
    # Rows queued before this revision never had a coalesce key (""), so none conflict.
    op.create_index(
        "uq_notifications_pending_coalesce",
        "notifications",
        ["coalesce_key"],
        unique=True,
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )


def downgrade() -> None:
    op.drop_index("uq_notifications_pending_coalesce", table_name="notifications")
