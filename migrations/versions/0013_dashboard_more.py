"""dashboard: page views record the status shown and how the page was reached

Revision ID: 0013_dashboard_more
Revises: 0010
Create Date: 2026-12-01 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.* types)
from alembic import op

revision: str = "0013_dashboard_more"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Older views keep "" (not recorded): what status their page showed is not known honestly
    # (a parcel's events arrive late and out of order, so replaying them would guess).
    with op.batch_alter_table("page_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "source",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("page_events", schema=None) as batch_op:
        batch_op.drop_column("source")
        batch_op.drop_column("status")
