"""Pickup points and approximate times: shipments.pickup_* (where a parcel waits to be collected
and until when) and tracking_events.time_precision (a time read in a guessed zone, or a day
without a time)

Revision ID: 0025_pickup25_pickup_points
Revises: 0024_line25_line
Create Date: 2026-12-06 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025_pickup25_pickup_points"
down_revision: str | None = "0024_line25_line"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(
        name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False, server_default=""
    )


def upgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        batch.add_column(_text("pickup_kind", 16))
        batch.add_column(_text("pickup_place", 200))
        batch.add_column(
            sa.Column("pickup_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(sa.Column("pickup_until", sa.Date(), nullable=True))
        batch.add_column(_text("pickup_until_source", 16))
    with op.batch_alter_table("tracking_events") as batch:
        batch.add_column(_text("time_precision", 8))


def downgrade() -> None:
    with op.batch_alter_table("tracking_events") as batch:
        batch.drop_column("time_precision")
    with op.batch_alter_table("shipments") as batch:
        for name in (
            "pickup_until_source",
            "pickup_until",
            "pickup_since",
            "pickup_kind",
            "pickup_place",
        ):
            batch.drop_column(name)
