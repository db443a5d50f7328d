"""Start-up while the database is not there yet (a restart of both, a network hiccup):
one log line naming the problem, retries with a doubling delay for
STARTUP_TIMEOUT_SECONDS, then StartupFailed (the process exits non-zero, one more line,
no traceback), for the supervisor to restart it or a person to look."""

import asyncio
import logging
import time

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.failures import is_infrastructure
from storage import db

log = logging.getLogger("hocai.startup")

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 10.0


class StartupFailed(Exception):
    """Start-up gave up; the reason was logged already."""


def where(engine: AsyncEngine) -> str:
    """The database named without its password: 'postgresql 10.0.0.5:5432/hocai'."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite {url.database}"
    return f"{url.get_backend_name()} {url.host}:{url.port or 5432}/{url.database}"


def _reason(error: BaseException) -> str:
    # The innermost cause names it best (ConnectionRefusedError, "password authentication
    # failed"); one line, the URL's password never appears in the driver's messages.
    inner = error
    while inner.__cause__ is not None:
        inner = inner.__cause__
    text = " ".join(str(inner).split())[:200]
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__


async def migrate_when_reachable(engine: AsyncEngine, timeout: float) -> None:
    """db.upgrade(engine), retried while the database cannot be reached."""
    deadline = time.monotonic() + timeout
    delay, attempts = RETRY_FIRST_SECONDS, 0
    while True:
        attempts += 1
        try:
            await db.upgrade(engine)
        except Exception as e:
            if not is_infrastructure(e):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                log.error(
                    "database unreachable at %s after %d attempts in %.0f s (%s): giving up",
                    where(engine),
                    attempts,
                    timeout,
                    _reason(e),
                )
                raise StartupFailed(where(engine)) from None
            if attempts == 1:
                log.error(
                    "database unreachable at %s (%s): retrying for up to %.0f s",
                    where(engine),
                    _reason(e),
                    timeout,
                )
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, RETRY_MAX_SECONDS)
            continue
        if attempts > 1:
            log.info("database reachable at %s after %d attempts", where(engine), attempts)
        return
