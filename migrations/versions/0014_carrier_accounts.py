"""carrier accounts: health and rate buckets per (carrier, account) instead of per carrier

Revision ID: 0014_carrier_accounts
Revises: 0013_dashboard_more
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.* types)
from alembic import op

revision: str = "0014_carrier_accounts"
down_revision: str | None = "0013_dashboard_more"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("carrier_health", "carrier_rate_buckets")


def upgrade() -> None:
    # Existing rows are the installation's own accounts: account "" (what the worker used so far).
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "account",
                    sqlmodel.sql.sqltypes.AutoString(length=100),
                    nullable=False,
                    server_default="",
                )
            )
            batch_op.drop_constraint(f"uq_{table}_carrier", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_carrier_account", ["carrier", "account"])


def downgrade() -> None:
    # A shop's own accounts have no place in the old shape: only the installation's rows stay.
    for table in TABLES:
        op.execute(sa.text(f"DELETE FROM {table} WHERE account <> ''"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_carrier_account", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_carrier", ["carrier"])
            batch_op.drop_column("account")
