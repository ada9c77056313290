"""Database stalls and lost connections while an upload's transaction runs: a retryable 503.

The upload streams a file into one transaction, so a database that restarts or stops answering
mid-COPY must end the request with a clear, retryable answer and nothing stored, never leave the
client waiting on a socket the driver still believes open.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import AppError
from ingest.repository import raw_connection

log = logging.getLogger("smartretail.ingest")
DATABASE_LOST = (
    "the database connection was lost while the upload was being stored; nothing was stored, "
    "upload the file again"
)
# The driver's and the server's ways of saying the connection is gone (restart, admin shutdown,
# a broken socket): retryable, unlike a data error.
_CONNECTION_LOST = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
    OSError,
    SAInterfaceError,
)


def database_unavailable() -> AppError:
    """503 with a retryable message: the upload's transaction could not finish."""
    error = AppError(DATABASE_LOST, 503)
    error.headers = {"Retry-After": "30"}
    return error


def is_connection_lost(exc: BaseException) -> bool:
    """Whether an exception means the database connection went away (not a data error)."""
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or isinstance(exc.orig, _CONNECTION_LOST)):
        return True
    return isinstance(exc, _CONNECTION_LOST)


class StallWatch:
    """Bounds a database step by progress: abandoned when nothing moved for `limit_s` seconds.

    A COPY of a big file may rightly take many minutes, so the bound is on silence (no chunk
    taken by the driver, no step finished), not on the total; each `beat` restarts the clock.
    """

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.last = time.monotonic()

    def beat(self) -> None:
        """Something moved."""
        self.last = time.monotonic()

    async def run(self, step: Any, session: AsyncSession) -> Any:
        """Await `step`; on a stall or a lost connection, drop the connection and raise a 503."""
        self.beat()
        # The driver's connection, to ask it later whether it is still open.
        driver = await raw_connection(session)
        task = asyncio.ensure_future(step)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=min(1.0, self.limit_s))
                if task in done:
                    return task.result()
                if time.monotonic() - self.last > self.limit_s:
                    log.warning("database step stalled for %.0f s; abandoning the upload", self.limit_s)
                    await self._abandon(task, session)
                    raise database_unavailable()
        except AppError:  # the stall above, or the step's own refusal (its transaction rolls back)
            raise
        except BaseException as exc:
            # The driver reports a dropped connection in many ways (uvloop: a RuntimeError on a
            # closed transport), so the connection's own state decides, not only the error's type.
            if is_connection_lost(exc) or (isinstance(exc, Exception) and driver.is_closed()):
                await self._abandon(task, session)
                raise database_unavailable() from exc
            if not task.done():
                await self._abandon(task, session)
            raise

    @staticmethod
    async def _abandon(task: asyncio.Future[Any], session: AsyncSession) -> None:
        # Close the socket without a goodbye (a rollback could wait on the same dead connection);
        # the server rolls the transaction back when it sees the connection gone.
        try:
            connection = await asyncio.wait_for(session.connection(), 5)
            await asyncio.wait_for(connection.invalidate(), 5)
        except Exception as exc:  # the connection may be half gone already
            log.debug("invalidating the upload's connection: %s", exc)
        task.cancel()
        await asyncio.wait({task}, timeout=5)
