"""Alembic environment: runs migrations over the synchronous psycopg driver."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import common.models  # noqa: F401  (registers every table on the metadata)
from common.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations against the configured database in one transaction."""
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
