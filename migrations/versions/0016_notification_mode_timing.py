"""notifications: mail_mode (normal or rakuten, per order source), send_before (a notice that is
pointless after a moment, such as out-for-delivery after the day's deliveries), coalesce_key
(return updates folded into one pending mail)

Revision ID: 0016_notification_mode_timing
Revises: 0015_order_source_history
Create Date: 2026-12-05 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.* types)
from alembic import op

revision: str = "0016_notification_mode_timing"
down_revision: str | None = "0015_order_source_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mail_mode",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="normal",
            )
        )
        batch_op.add_column(
            sa.Column("send_before", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "coalesce_key",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("coalesce_key")
        batch_op.drop_column("send_before")
        batch_op.drop_column("mail_mode")
