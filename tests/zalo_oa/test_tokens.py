"""OA tokens in the database: refreshed before they expire, after Zalo refuses one, and
under a lock, so two processes never spend the same single-use refresh token."""

import asyncio
from datetime import timedelta

import pytest

from bot.channels.zalo_oa.client import NotConnected, OAClient, OAError, OAuthClient, Tokens
from bot.channels.zalo_oa.tokens import TokenStore
from storage import db
from storage.models import ZaloOAToken
from storage.types import utcnow
from tests.standins.zalo_oa_api import APP_ID, APP_SECRET
from tests.zalo_oa.conftest import FAST


def oauth(api) -> OAuthClient:
    return OAuthClient(api.url, APP_ID, APP_SECRET)


async def stored(store: TokenStore, api, expires_in: timedelta) -> str:
    access, refresh = api.issue()
    now = utcnow()
    await store.save(Tokens(access, refresh, now + expires_in, now + timedelta(days=90)))
    return access


async def test_a_fresh_token_is_used_as_it_is(api, sessions):
    store = TokenStore(sessions, oauth(api))
    access = await stored(store, api, timedelta(hours=24))
    assert await store.access_token() == access
    assert api.refreshes == 0
    await store.oauth.close()


async def test_a_token_about_to_expire_is_refreshed_first_and_kept(api, sessions):
    store = TokenStore(sessions, oauth(api))
    old = await stored(store, api, timedelta(minutes=10))  # within REFRESH_BEFORE
    new = await store.access_token()
    assert new != old and api.refreshes == 1
    row = await store.current()
    assert row.access_token == new and row.refreshes == 1
    assert row.access_expires_at > utcnow() + timedelta(hours=24)
    assert await store.access_token() == new and api.refreshes == 1
    await store.oauth.close()


async def test_a_refused_token_is_refreshed_and_the_call_retried(api, sessions):
    store = TokenStore(sessions, oauth(api))
    old = await stored(store, api, timedelta(hours=24))
    del api.access[old]  # Zalo revoked it early: -216
    client = OAClient(api.url, store.access_token, FAST)
    oa = await client.get_oa()
    assert oa["oa_id"] and api.refreshes == 1 and client.healthy
    await client.close()
    await store.oauth.close()


async def test_the_stand_in_refuses_a_refresh_token_spent_twice(api):
    client = oauth(api)
    _, refresh = api.issue()
    await client.refresh(refresh)
    with pytest.raises(OAError):
        await client.refresh(refresh)
    assert api.reused_refresh_tokens == 1
    await client.close()


async def test_a_refused_refresh_means_connect_again(api, sessions):
    store = TokenStore(sessions, oauth(api))
    await stored(store, api, timedelta(minutes=1))
    row = await store.current()
    api.refresh_tokens[row.refresh_token] = False  # spent elsewhere
    with pytest.raises(NotConnected):
        await store.access_token()
    await store.oauth.close()


async def test_no_tokens_stored_means_connect(api, sessions):
    store = TokenStore(sessions, oauth(api))
    client = OAClient(api.url, store.access_token, FAST)
    with pytest.raises(NotConnected):
        await client.get_oa()
    assert not client.healthy
    await client.close()
    await store.oauth.close()


async def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(api, db_url, engine):
    """Two engines on the same database (two processes), and many coroutines in each,
    all asking for a token that is about to expire while Zalo answers slowly."""
    api.refresh_delay = 0.3
    other = db.make_engine(db_url)
    stores = [
        TokenStore(db.make_sessionmaker(engine), oauth(api)),
        TokenStore(db.make_sessionmaker(other), oauth(api)),
    ]
    await stored(stores[0], api, timedelta(minutes=5))
    try:
        got = await asyncio.gather(*(s.access_token() for s in stores for _ in range(5)))
    finally:
        for s in stores:
            await s.oauth.close()
        await other.dispose()
    assert api.refreshes == 1, "the refresh token was spent more than once"
    assert api.reused_refresh_tokens == 0
    assert len(set(got)) == 1 and got[0] in api.access
    async with db.make_sessionmaker(engine)() as s:
        row = await s.get(ZaloOAToken, APP_ID)
    assert row.refreshes == 1 and row.access_token == got[0]
