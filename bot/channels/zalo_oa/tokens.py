"""The OA's tokens, kept in the database (table zalo_oa_token, one row per app).

Access tokens live about 25 hours; each refresh spends the refresh token (single-use)
and hands out a new pair. Several processes (serve replicas, the worker) share the row,
so a refresh happens under the row's write lock: the transaction first UPDATEs the row
(on Postgres that takes its row lock; on SQLite the database's one write lock), then
reads it again. A process that waited finds the token the other one just got and uses
it instead of spending the (now dead) refresh token a second time. Inside one process an
asyncio lock keeps the coroutines from queueing at the database for the same thing.

The lock is held across the HTTP call to Zalo (a refresh a day, a fraction of a second).
If the process dies after Zalo answered but before the commit, the new refresh token is
lost and the OA must be connected again: logged, and `hocai zalo-oa info` shows it.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.zalo_oa.client import NotConnected, OAError, OAuthClient, Tokens
from bot.channels.zalo_oa.constants import REFRESH_BEFORE
from storage.models import ZaloOAToken
from storage.types import utcnow

log = logging.getLogger("hocai.zalo_oa")

LOCK_ATTEMPTS = 3  # SQLite: a write lock not had within its busy timeout is tried again


class TokenStore:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        oauth: OAuthClient,
        *,
        refresh_before: timedelta = REFRESH_BEFORE,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.sessions = sessions
        self.oauth = oauth
        self.app_id = oauth.app_id
        self.refresh_before = refresh_before
        self.clock = clock
        self._local = asyncio.Lock()
        self._cached: tuple[str, datetime] | None = None  # (access token, expires at)

    def _fresh(self, expires_at: datetime) -> bool:
        return expires_at - self.refresh_before > self.clock()

    async def save(self, tokens: Tokens, oa_id: str | None = None) -> None:
        """Store the tokens `connect` got (replacing any earlier ones)."""
        async with self.sessions() as session, session.begin():
            row = await session.get(ZaloOAToken, self.app_id)
            if row is None:
                row = ZaloOAToken(app_id=self.app_id, **_columns(tokens))
                session.add(row)
            else:
                for key, value in _columns(tokens).items():
                    setattr(row, key, value)
                row.refreshes = 0
            row.oa_id = oa_id or row.oa_id
            row.updated_at = self.clock()
        self._cached = None

    async def current(self) -> ZaloOAToken | None:
        async with self.sessions() as session:
            row = await session.get(ZaloOAToken, self.app_id)
            if row is not None:
                session.expunge(row)
            return row

    async def access_token(self, rejected: str | None = None) -> str:
        """A usable access token; refreshed first when it is about to expire, or when
        the API just refused `rejected` and no one has replaced it yet."""
        cached = self._cached
        if cached and cached[0] != rejected and self._fresh(cached[1]):
            return cached[0]
        async with self._local:
            row = await self.current()
            if row is None:
                raise NotConnected("no Zalo OA tokens stored: run `hocai zalo-oa connect`")
            if row.access_token != rejected and self._fresh(row.access_expires_at):
                self._cached = (row.access_token, row.access_expires_at)
                return row.access_token
            return await self.refresh(rejected=rejected)

    async def refresh(self, rejected: str | None = None, force: bool = False) -> str:
        """Refresh under the row's lock, unless someone did while we waited for it."""
        for attempt in range(1, LOCK_ATTEMPTS + 1):
            try:
                return await self._refresh_locked(rejected, force)
            except OperationalError:  # SQLite: "database is locked" past the busy timeout
                if attempt == LOCK_ATTEMPTS:
                    raise
                log.warning("token row busy, trying again")
        raise AssertionError("unreachable")  # pragma: no cover

    async def _refresh_locked(self, rejected: str | None, force: bool) -> str:
        T = ZaloOAToken
        async with self.sessions() as session, session.begin():
            # The write lock first: whoever holds it is the one refresher.
            await session.execute(
                update(T).where(T.app_id == self.app_id).values(refreshes=T.refreshes)
            )
            row = (
                await session.execute(
                    select(T)
                    .where(T.app_id == self.app_id)
                    .execution_options(populate_existing=True)
                )
            ).scalar_one_or_none()
            if row is None:
                raise NotConnected("no Zalo OA tokens stored: run `hocai zalo-oa connect`")
            if not force and row.access_token != rejected and self._fresh(row.access_expires_at):
                self._cached = (row.access_token, row.access_expires_at)
                return row.access_token  # another process refreshed while we waited
            if row.refresh_expires_at <= self.clock():
                raise NotConnected("the refresh token has expired: run `hocai zalo-oa connect`")
            try:
                tokens = await self.oauth.refresh(row.refresh_token)
            except OAError as e:
                if e.retryable:
                    raise
                log.error(
                    "Zalo refused the refresh token (%s): run `hocai zalo-oa connect` again",
                    e.code,
                )
                raise NotConnected(f"refresh refused: {e.code} {e.description}") from None
            for key, value in _columns(tokens).items():
                setattr(row, key, value)
            row.refreshes += 1
            row.updated_at = self.clock()
            result = (row.access_token, row.access_expires_at)
        self._cached = result
        log.info("zalo oa access token refreshed, valid until %s", result[1].isoformat())
        return result[0]


def _columns(tokens: Tokens) -> dict:
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "access_expires_at": tokens.access_expires_at,
        "refresh_expires_at": tokens.refresh_expires_at,
    }
