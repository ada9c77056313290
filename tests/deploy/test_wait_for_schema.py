"""deploy/docker/wait_for_schema.py: the init container that holds pods until migrations are done."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from alembic.config import Config
from deploy_support import REPO
from sqlalchemy import create_engine, text

SCRIPT = REPO / "deploy" / "docker" / "wait_for_schema.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wait_for_schema", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["wait_for_schema"] = module
    spec.loader.exec_module(module)
    return module


wfs = _load()

REVISION = """revision = "{rev}"
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
"""


@pytest.fixture
def alembic_dir(tmp_path: Path) -> Config:
    """A script directory with the chain a1 -> b2 (head b2)."""
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text("")
    (versions / "a1_first.py").write_text(REVISION.format(rev="a1", down="None"))
    (versions / "b2_second.py").write_text(REVISION.format(rev="b2", down='"a1"'))
    config = Config()
    config.set_main_option("script_location", str(tmp_path / "migrations"))
    return config


def _database(tmp_path: Path, revision: str | None) -> str:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        if revision is not None:
            connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
            connection.execute(text("INSERT INTO alembic_version VALUES (:rev)"), {"rev": revision})
    engine.dispose()
    return url


def test_reads_heads_from_scripts_and_database(alembic_dir: Config, tmp_path: Path) -> None:
    assert wfs.expected_heads(alembic_dir) == {"b2"}
    assert wfs.known_revisions(alembic_dir) == {"a1", "b2"}
    assert wfs.current_heads(_database(tmp_path, "a1")) == {"a1"}


def test_empty_database_has_no_heads(tmp_path: Path) -> None:
    assert wfs.current_heads(_database(tmp_path, None)) == set()


@pytest.mark.parametrize(
    ("current", "state"),
    [
        ({"b2"}, "current"),
        ({"a1"}, "behind"),
        (set(), "behind"),
        ({"c3"}, "ahead"),  # a newer release migrated already (e.g. during a rollback)
    ],
)
def test_schema_state(current: set[str], state: str) -> None:
    assert wfs.schema_state(current, {"b2"}, {"a1", "b2"}).value == state


class FakeClock:
    """Time that moves only when the code sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_waits_until_the_migration_lands() -> None:
    answers = iter([set(), {"a1"}, {"b2"}])
    clock = FakeClock()
    state = wfs.wait_for_schema(
        lambda: next(answers),
        {"b2"},
        {"a1", "b2"},
        timeout_s=60,
        interval_s=5,
        sleep=clock.sleep,
        clock=lambda: clock.now,
    )
    assert state is wfs.SchemaState.CURRENT
    assert clock.sleeps == [5, 5]


def test_keeps_waiting_through_database_errors_then_times_out() -> None:
    from sqlalchemy.exc import OperationalError

    def unreachable() -> set[str]:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    clock = FakeClock()
    state = wfs.wait_for_schema(
        unreachable, {"b2"}, {"b2"}, timeout_s=12, interval_s=5, sleep=clock.sleep, clock=lambda: clock.now
    )
    assert state is None
    assert clock.now == 15


def test_main_checks_the_platform_migrations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """End to end against the real `common.migrate` scripts: an empty database times out (exit 1)."""
    pytest.importorskip("common.migrate")
    from common.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:none@127.0.0.1:9/none")
    # It would replace pytest's log handlers with the JSON one for the rest of the session.
    monkeypatch.setattr("common.logging.configure_logging", lambda *args, **kwargs: None)
    get_settings.cache_clear()
    read: list[str] = []

    def current_heads(url: str) -> set[str]:
        read.append(url)
        return set()

    monkeypatch.setattr(wfs, "current_heads", current_heads)
    try:
        assert wfs.main(["--timeout", "0", "--interval", "0"]) == 1
    finally:
        get_settings.cache_clear()
    assert read == ["postgresql+psycopg://nobody:none@127.0.0.1:9/none"]
