"""Resolutions carried out: refund and credit amounts, the refund marked paid, the exchange's
replacement parcel, store-credit codes (one per return), a step's detail, coupon-pool purpose

Revision ID: 0021_resolve24_resolutions
Revises: 0020_bench23_order_listing_index
Create Date: 2026-12-06 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021_resolve24_resolutions"
down_revision: str | None = "0020_bench23_order_listing_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("return_requests") as batch:
        batch.add_column(
            sa.Column("refund_amount", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("credit_amount", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("paid_amount", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("paid_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("paid_by", sa.String(length=254), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column(
                "replacement_carrier", sa.String(length=32), nullable=False, server_default=""
            )
        )
        batch.add_column(
            sa.Column(
                "replacement_tracking_number",
                sa.String(length=64),
                nullable=False,
                server_default="",
            )
        )
    # Requests made before: their estimate was refund and credit together; split by the lines.
    op.execute(
        "UPDATE return_requests SET credit_amount = refund_estimate WHERE id IN "
        "(SELECT return_id FROM return_lines WHERE resolution = 'store_credit') AND id NOT IN "
        "(SELECT return_id FROM return_lines WHERE resolution = 'refund')"
    )
    op.execute("UPDATE return_requests SET refund_amount = refund_estimate WHERE credit_amount = 0")
    with op.batch_alter_table("return_events") as batch:
        batch.add_column(sa.Column("detail", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("coupon_codes") as batch:
        batch.add_column(
            sa.Column("purpose", sa.String(length=16), nullable=False, server_default="coupon")
        )
    op.create_table(
        "store_credits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("return_id", sa.Integer(), sa.ForeignKey("return_requests.id"), nullable=False),
        sa.Column("brand", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("return_id", name="uq_credit_return"),
        sa.UniqueConstraint("brand", "code", name="uq_credit_brand_code"),
    )
    op.create_index("ix_store_credits_brand", "store_credits", ["brand"])


def downgrade() -> None:
    op.drop_index("ix_store_credits_brand", table_name="store_credits")
    op.drop_table("store_credits")
    with op.batch_alter_table("coupon_codes") as batch:
        batch.drop_column("purpose")
    with op.batch_alter_table("return_events") as batch:
        batch.drop_column("detail")
    with op.batch_alter_table("return_requests") as batch:
        for column in (
            "replacement_tracking_number",
            "replacement_carrier",
            "paid_by",
            "paid_at",
            "paid_amount",
            "credit_amount",
            "refund_amount",
        ):
            batch.drop_column(column)
