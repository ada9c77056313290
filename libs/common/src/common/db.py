"""Database engines and sessions: asyncpg for the HTTP services, psycopg for Celery workers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated

from fastapi import Depends
from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from common.settings import get_settings

log = logging.getLogger("smartretail.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table; explicit constraint names for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


_async_engine: AsyncEngine | None = None
_async_sessionmaker: async_sessionmaker[AsyncSession] | None = None
_sync_engine: Engine | None = None


def get_async_engine() -> AsyncEngine:
    """The HTTP process's asyncpg engine, created on first use."""
    global _async_engine, _async_sessionmaker
    if _async_engine is None:
        settings = get_settings()
        _async_engine = create_async_engine(
            settings.async_database_url,
            pool_size=10,
            max_overflow=10,
            pool_pre_ping=True,
            connect_args={"server_settings": {"application_name": settings.process_name}},
        )
        _async_sessionmaker = async_sessionmaker(_async_engine, expire_on_commit=False)
    return _async_engine


async def dispose_async_engine() -> None:
    """Close the asyncpg pool (application shutdown)."""
    global _async_engine, _async_sessionmaker
    if _async_engine is not None:
        await _async_engine.dispose()
    _async_engine, _async_sessionmaker = None, None


async def get_session() -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: one session per request; the only place that commits."""
    async with async_session_scope() as session:
        yield session


# Committed when the endpoint returns, before the response is sent: a client that gets a 2xx can
# rely on the write (e.g. sign in right after signing up), and a failed commit is a 500, not a
# silently lost write.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# For streaming responses only: the session stays open until the body has been sent.
StreamSessionDep = Annotated[AsyncSession, Depends(get_session)]


def get_sync_engine() -> Engine:
    """This worker process's psycopg engine; created after the fork, never shared across processes."""
    global _sync_engine
    if _sync_engine is None:
        settings = get_settings()
        _sync_engine = create_engine(
            settings.sync_database_url,
            pool_size=2,
            max_overflow=2,
            pool_pre_ping=True,
            connect_args={"application_name": settings.process_name},
        )
    return _sync_engine


def reset_sync_engine() -> None:
    """Forget an engine inherited from a parent process (called at worker_process_init)."""
    global _sync_engine
    if _sync_engine is not None:
        _sync_engine.dispose(close=False)
    _sync_engine = None


@contextmanager
def sync_session() -> Iterator[Session]:
    """A worker's unit of work: commits on success, rolls back on error."""
    with sessionmaker(get_sync_engine(), expire_on_commit=False)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@asynccontextmanager
async def async_session_scope() -> AsyncIterator[AsyncSession]:
    """A unit of work of its own (e.g. job progress committed while a request's work continues)."""
    get_async_engine()
    assert _async_sessionmaker is not None
    async with _async_sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            try:
                await session.rollback()
            except DBAPIError as exc:
                # The connection is gone (e.g. PostgreSQL restarted): its transaction died with it,
                # and the error that brought us here is the one to report.
                log.warning("rollback on a lost connection: %s", exc)
            raise
