"""return parcels

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:54:18.014469
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.* types)
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows are all shop → customer parcels: the server default fills them in.
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "direction",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="outbound",
            )
        )
        batch_op.add_column(sa.Column("return_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_shipments_direction"), ["direction"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipments_return_id"), ["return_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_shipments_return_id_return_requests"),
            "return_requests",
            ["return_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_shipments_return_id_return_requests"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_shipments_return_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_direction"))
        batch_op.drop_column("return_id")
        batch_op.drop_column("direction")
