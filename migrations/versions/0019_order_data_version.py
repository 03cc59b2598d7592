"""orders.data_version: bumped by the session whenever a row the tracking page shows changes
(tracking.orders.versions); the page's render cache keys on it

Revision ID: 0019_order_data_version
Revises: 0018_import_jobs
Create Date: 2026-12-05 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_order_data_version"
down_revision: str | None = "0018_import_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column("data_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("data_version")
