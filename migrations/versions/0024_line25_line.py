"""LINE notifications: line_links (order ↔ LINE user), line_codes (one-time link codes, one
unused per order), line_events (webhook events handled); notifications.channel ("mail" or
"line") and notifications.retry_key (X-Line-Retry-Key, fixed when queued)

Revision ID: 0024_line25_line
Revises: 0023_hooks25_outbound_events
Create Date: 2026-12-06 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024_line25_line"
down_revision: str | None = "0023_hooks25_outbound_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_CODE = "used_at IS NULL"


def _s(n: int):
    return sqlmodel.sql.sqltypes.AutoString(length=n)


def upgrade() -> None:
    op.create_table(
        "line_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("brand", _s(64), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("user_id", _s(64), nullable=False),
        sa.Column("locale", _s(8), nullable=False),
        sa.Column("linked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("stopped_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("stop_reason", _s(16), nullable=False),
        sa.UniqueConstraint("order_id", "user_id", name="uq_line_link_order_user"),
    )
    op.create_index("ix_line_links_order_id", "line_links", ["order_id"])
    op.create_index("ix_line_links_user_id", "line_links", ["user_id"])
    op.create_table(
        "line_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("brand", _s(64), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("code", _s(16), nullable=False, unique=True),
        sa.Column("locale", _s(8), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.create_index(
        "uq_line_codes_order_unused",
        "line_codes",
        ["order_id"],
        unique=True,
        postgresql_where=sa.text(LIVE_CODE),
        sqlite_where=sa.text(LIVE_CODE),
    )
    op.create_table(
        "line_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", _s(64), nullable=False, unique=True),
        sa.Column("brand", _s(64), nullable=False),
        sa.Column("kind", _s(32), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_line_events_received_at", "line_events", ["received_at"])
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("channel", _s(8), nullable=False, server_default="mail"))
        batch.add_column(sa.Column("retry_key", _s(36), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("retry_key")
        batch.drop_column("channel")
    op.drop_index("ix_line_events_received_at", table_name="line_events")
    op.drop_table("line_events")
    op.drop_index("uq_line_codes_order_unused", table_name="line_codes")
    op.drop_table("line_codes")
    op.drop_index("ix_line_links_user_id", table_name="line_links")
    op.drop_index("ix_line_links_order_id", table_name="line_links")
    op.drop_table("line_links")
