"""mail outbox delivery, unsubscribes and coupons

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:39:07.765166
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.* types)
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_unsubscribes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_unsubscribes")),
        sa.UniqueConstraint("brand", "email", name="uq_unsubscribe_brand_email"),
    )
    op.create_table(
        "coupon_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_coupon_codes_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_codes")),
        sa.UniqueConstraint("brand", "code", name="uq_coupon_brand_code"),
        sa.UniqueConstraint("order_id", name="uq_coupon_order"),
    )
    with op.batch_alter_table("coupon_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupon_codes_brand"), ["brand"], unique=False)

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "category",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                server_default="transactional",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("body_html", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column(
                "message_id",
                sqlmodel.sql.sqltypes.AutoString(length=250),
                server_default="",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "send_after",
                sqlmodel.sql.sqltypes.UTCDateTime(),
                server_default=sa.func.current_timestamp(),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "claim_token",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                server_default="",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_notifications_send_after"), ["send_after"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_send_after"))
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claim_token")
        batch_op.drop_column("send_after")
        batch_op.drop_column("message_id")
        batch_op.drop_column("body_html")
        batch_op.drop_column("category")

    with op.batch_alter_table("coupon_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_codes_brand"))

    op.drop_table("coupon_codes")
    op.drop_table("mail_unsubscribes")
