"""orders (brand, updated_at, id): the API's listing pages through a brand's orders by last
change (``orders.listing.page``); without it a page sorted the brand's whole history

Revision ID: 0020_bench23_order_listing_index
Revises: 0019_order_data_version
Create Date: 2026-12-06 00:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_bench23_order_listing_index"
down_revision: str | None = "0019_order_data_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_orders_brand_updated_id", "orders", ["brand", "updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_orders_brand_updated_id", table_name="orders")
