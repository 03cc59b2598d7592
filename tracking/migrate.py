"""Running Alembic from the app (``flask --app app db upgrade``): no alembic.ini to keep in sync."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from .config import ROOT


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def revision(url: str, message: str, rev_id: str | None = None) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)
