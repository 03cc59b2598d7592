"""return_requests.label_name: the prepaid return label staff upload for one return (a PDF
stored under a random name in UPLOAD_DIR, like the return photos)

Revision ID: 0022_ship24_return_label
Revises: 0021_resolve24_resolutions
Create Date: 2026-12-06 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0022_ship24_return_label"
down_revision: str | None = "0021_resolve24_resolutions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("return_requests") as batch:
        batch.add_column(
            sa.Column(
                "label_name",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("return_requests") as batch:
        batch.drop_column("label_name")
