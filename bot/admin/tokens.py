"""Login links, dashboard sessions and API tokens. Only SHA-256 hashes are stored.

- A login link is `{PUBLIC_BASE_URL}/dang-nhap/<token>`: the token is a random nonce
  signed with SECRET_KEY (itsdangerous), so a forged one is refused before the database
  is asked; the nonce's hash is stored with an expiry (10 minutes) and is marked used by
  one conditional UPDATE, so a link works once, even with two clicks racing.
- A session is a random cookie value; its hash, expiry and CSRF token are stored, so
  logging out or expiry really ends it.
- An API token ("hocai_…") acts as the role holder it was made for; shown once.
"""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from storage.db import rowcount
from storage.models import ApiToken, LoginToken, WebSession

log = logging.getLogger("hocai.admin.tokens")

LOGIN_TTL = timedelta(minutes=10)
API_PREFIX = "hocai_"
_generated: str | None = None


def secret_key(settings: Settings) -> str:
    """SECRET_KEY, or one made for this process (links then work only in this process)."""
    global _generated
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if _generated is None:
        _generated = secrets.token_urlsafe(32)
        log.warning("SECRET_KEY is not set: using a key generated for this process only")
    return _generated


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key(settings), salt="hocai-login")


# --- login links -------------------------------------------------------------------------


async def issue_login(
    session: AsyncSession, settings: Settings, channel: str, user_id: str, now: datetime
) -> str:
    """A new one-time login URL for this chat."""
    nonce = secrets.token_urlsafe(24)
    session.add(
        LoginToken(
            token_hash=token_hash(nonce),
            channel=channel,
            channel_user_id=str(user_id),
            created_at=now,
            expires_at=now + LOGIN_TTL,
        )
    )
    await session.flush()
    token = _signer(settings).dumps(nonce)
    return f"{settings.public_base_url.rstrip('/')}/dang-nhap/{token}"


async def consume_login(
    session: AsyncSession, settings: Settings, token: str, now: datetime
) -> tuple[str, str] | None:
    """(channel, user id) for a valid, unexpired, unused link, which is now used up."""
    try:
        nonce = _signer(settings).loads(token)
    except BadSignature:
        return None
    if not isinstance(nonce, str):
        return None
    stmt = (
        update(LoginToken)
        .where(
            LoginToken.token_hash == token_hash(nonce),
            LoginToken.used_at.is_(None),
            LoginToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(LoginToken.channel, LoginToken.channel_user_id)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


# --- sessions ----------------------------------------------------------------------------


async def create_session(
    session: AsyncSession, settings: Settings, channel: str, user_id: str, now: datetime
) -> tuple[str, str]:
    """(cookie value, CSRF token) of a new dashboard session."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.add(
        WebSession(
            token_hash=token_hash(token),
            channel=channel,
            channel_user_id=str(user_id),
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=settings.session_hours),
        )
    )
    await session.flush()
    return token, csrf


async def session_for(session: AsyncSession, token: str | None, now: datetime) -> WebSession | None:
    if not token:
        return None
    stmt = select(WebSession).where(
        WebSession.token_hash == token_hash(token), WebSession.expires_at > now
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def end_session(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


# --- API tokens --------------------------------------------------------------------------


async def create_api_token(
    session: AsyncSession,
    channel: str,
    user_id: str,
    name: str,
    now: datetime,
    *,
    days: int | None = None,
    created_by: str = "admin:cli",
) -> tuple[int, str]:
    token = API_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=token_hash(token),
        name=name[:64],
        channel=channel,
        channel_user_id=str(user_id),
        created_at=now,
        created_by=created_by,
        expires_at=now + timedelta(days=days) if days else None,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None  # the flush gave it one
    return row.id, token


async def api_token_owner(
    session: AsyncSession, token: str, now: datetime
) -> tuple[str, str] | None:
    if not token.startswith(API_PREFIX):
        return None
    row = (
        await session.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        return None
    row.last_used_at = now
    return row.channel, row.channel_user_id


async def revoke_api_token(session: AsyncSession, token_id: int, now: datetime) -> bool:
    stmt = (
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return rowcount(await session.execute(stmt)) > 0
