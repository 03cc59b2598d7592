"""orders: source (picks the mail mode), shipping country (a language hint), history (no mail)

Revision ID: 0015_order_source_history
Revises: 0014_carrier_accounts
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.* types)
from alembic import op

revision: str = "0015_order_source_history"
down_revision: str | None = "0014_carrier_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Orders taken in before this revision have no known source: "" mails as the brand's default.
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "country",
                sqlmodel.sql.sqltypes.AutoString(length=2),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("history", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("history")
        batch_op.drop_column("country")
        batch_op.drop_column("source")
