"""`python -m common.migrate`: bring the schema to the latest Alembic revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from common.settings import get_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic configuration pointing at this package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", (database_url or get_settings().sync_database_url).replace("%", "%%")
    )
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def upgrade(database_url: str | None = None) -> None:
    """Apply every pending migration."""
    command.upgrade(alembic_config(database_url), "head")


if __name__ == "__main__":
    upgrade()
    print("migrations applied")
