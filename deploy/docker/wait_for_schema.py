"""Init container: wait until the database schema is at the Alembic head this image ships.

The migration Job (`python -m common.migrate`) and the Deployments are applied together; every pod
of the new release waits here until the Job has brought the schema up to the revisions its own code
expects, so no new code ever runs against an old schema. A database that is *ahead* (a revision this
image does not know, as after a rollback) is accepted: migrations are written expand-then-contract,
so older code keeps working on a newer schema.

Usage (inside an image): `python /app/deploy/docker/wait_for_schema.py [--timeout 900] [--interval 5]`
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from enum import StrEnum

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger("wait_for_schema")


class SchemaState(StrEnum):
    """Where the database stands relative to the migrations this image ships."""

    CURRENT = "current"
    AHEAD = "ahead"
    BEHIND = "behind"


def expected_heads(config: Config) -> set[str]:
    """Head revisions of the migration scripts shipped in this image."""
    return set(ScriptDirectory.from_config(config).get_heads())


def known_revisions(config: Config) -> set[str]:
    """Every revision id the shipped migration scripts define."""
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def current_heads(database_url: str) -> set[str]:
    """Revisions recorded in the database's alembic_version table (empty before the first migration)."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def schema_state(current: set[str], expected: set[str], known: set[str]) -> SchemaState:
    """Compare the database's revisions with the image's: current, ahead (unknown revision) or behind."""
    if current == expected:
        return SchemaState.CURRENT
    if current - known:
        return SchemaState.AHEAD
    return SchemaState.BEHIND


def wait_for_schema(
    read_current: Callable[[], set[str]],
    expected: set[str],
    known: set[str],
    *,
    timeout_s: float,
    interval_s: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> SchemaState | None:
    """Poll the database until it is current or ahead; None when the timeout passes first."""
    deadline = clock() + timeout_s
    while True:
        try:
            current = read_current()
        except SQLAlchemyError as exc:
            # The database may still be starting (dev) or failing over (prod): keep waiting.
            log.warning("database not reachable yet: %s", type(exc).__name__)
        else:
            state = schema_state(current, expected, known)
            if state is not SchemaState.BEHIND:
                log.info(
                    "schema is %s (database %s, image %s)", state.value, sorted(current), sorted(expected)
                )
                return state
            log.info(
                "waiting for migrations: database at %s, image needs %s", sorted(current), sorted(expected)
            )
        if clock() >= deadline:
            return None
        sleep(interval_s)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; exit 0 once the schema is usable, 1 on timeout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait before failing")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between checks")
    args = parser.parse_args(argv)

    # Imported here so the pure helpers above stay usable (and testable) without the platform settings.
    from common.logging import configure_logging
    from common.migrate import alembic_config
    from common.settings import get_settings

    settings = get_settings()
    configure_logging("wait-for-schema", settings.log_level)
    config = alembic_config(settings.sync_database_url)
    state = wait_for_schema(
        lambda: current_heads(settings.sync_database_url),
        expected_heads(config),
        known_revisions(config),
        timeout_s=args.timeout,
        interval_s=args.interval,
    )
    if state is None:
        log.error("schema still behind after %.0f s: did the migration Job fail?", args.timeout)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
