"""/dangnhap in the chat -> a one-time link valid 10 minutes -> a dashboard session.
Expired, reused and forged links are refused; sessions expire."""

import random
import uuid
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer

from bot.admin import tokens
from bot.engine import Engine
from bot.messages import Inbound
from storage.types import utcnow
from tests.admin.conftest import COMMUNE_A, add_role


@pytest.fixture
def bot(sessions, catalog, settings, monkeypatch, clean):
    monkeypatch.setattr("bot.flows.staff.get_settings", lambda: settings)
    return Engine(sessions, catalog, rng=random.Random(3))


async def say(bot, channel, user_id, text):
    return await bot.handle(Inbound(channel, user_id, text=text, update_id=uuid.uuid4().hex))


def link_of(replies) -> str:
    (reply,) = replies
    return reply.meta["login_url"]


async def test_admin_gets_a_link_and_logs_in_once(bot, client):
    replies = await say(bot, "telegram", "900", "/dangnhap")
    assert "dùng được một lần trong 10 phút" in replies[0].text
    url = link_of(replies)
    assert url.startswith("http://testserver/dang-nhap/")
    path = url.removeprefix("http://testserver")
    # Opening the link (or a chat app's preview of it) only shows a button.
    assert (await client.get(path)).status_code == 200
    r = await client.post(path)
    assert r.status_code == 303 and r.headers["location"] == "/quan-tri"
    assert (await client.get("/quan-tri")).status_code == 200
    # Reused: refused, even from another browser.
    client.cookies.clear()
    r = await client.post(path)
    assert r.status_code == 403 and "hết hạn, đã được dùng" in r.text


async def test_staff_get_a_link_learners_do_not(bot, client, sessions):
    await add_role(sessions, "zalo", "55", commune=COMMUNE_A)
    assert link_of(await say(bot, "zalo", "55", "/dangnhap"))
    replies = await say(bot, "zalo", "56", "/dangnhap")
    assert "chỉ dành cho cán bộ" in replies[0].text and not replies[0].meta
    # A learner mid-lesson keeps their place: the command changes nothing for them.
    await say(bot, "zalo", "56", "/start")
    replies = await say(bot, "zalo", "56", "/dangnhap")
    assert "chỉ dành cho cán bộ" in replies[0].text


async def test_expired_link_is_refused(client, sessions, settings):
    async with sessions() as s, s.begin():
        url = await tokens.issue_login(
            s, settings, "telegram", "900", utcnow() - timedelta(minutes=11)
        )
    r = await client.post(url.removeprefix("http://testserver"))
    assert r.status_code == 403
    assert "hocai_session" not in r.cookies


async def test_forged_links_are_refused(client, sessions, settings):
    async with sessions() as s, s.begin():
        url = await tokens.issue_login(s, settings, "telegram", "900", utcnow())
    token = url.rsplit("/", 1)[1]
    nonce = URLSafeSerializer(settings.secret_key.get_secret_value(), salt="hocai-login").loads(
        token
    )
    forged = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature broken
        URLSafeSerializer("another-key", salt="hocai-login").dumps(nonce),  # wrong key
        URLSafeSerializer(settings.secret_key.get_secret_value(), salt="hocai-login").dumps(
            "a-nonce-never-issued"
        ),  # well signed, unknown
        "garbage",
    ]
    for bad in forged:
        r = await client.post(f"/dang-nhap/{bad}")
        assert r.status_code == 403, bad
    # The real one still works once.
    assert (await client.post(f"/dang-nhap/{token}")).status_code == 303


async def test_a_link_for_someone_without_a_role_opens_nothing(client, sessions, settings):
    async with sessions() as s, s.begin():
        url = await tokens.issue_login(s, settings, "telegram", "12345", utcnow())
    r = await client.post(url.removeprefix("http://testserver"))
    assert r.status_code == 403 and "không có quyền" in r.text


async def test_sessions_expire_and_logout_ends_them(client, sessions, settings):
    async with sessions() as s, s.begin():
        old, _ = await tokens.create_session(
            s, settings, "telegram", "900", utcnow() - timedelta(hours=settings.session_hours + 1)
        )
    client.cookies.set("hocai_session", old)
    assert (await client.get("/quan-tri")).status_code == 303
    async with sessions() as s, s.begin():
        fresh, csrf = await tokens.create_session(s, settings, "telegram", "900", utcnow())
    client.cookies.set("hocai_session", fresh)
    assert (await client.get("/quan-tri")).status_code == 200
    assert (await client.post("/dang-xuat", data={"csrf": csrf})).status_code == 303
    client.cookies.set("hocai_session", fresh)
    assert (await client.get("/quan-tri")).status_code == 303


async def test_only_hashes_are_stored(client, sessions, settings):
    from sqlalchemy import select

    from storage.models import ApiToken, LoginToken, WebSession

    async with sessions() as s, s.begin():
        url = await tokens.issue_login(s, settings, "telegram", "900", utcnow())
        cookie, _ = await tokens.create_session(s, settings, "telegram", "900", utcnow())
        _id, api = await tokens.create_api_token(s, "telegram", "900", "x", utcnow())
    async with sessions() as s:
        stored = [
            *(await s.execute(select(LoginToken.token_hash))).scalars(),
            *(await s.execute(select(WebSession.token_hash))).scalars(),
            *(await s.execute(select(ApiToken.token_hash))).scalars(),
        ]
    for secret in (url.rsplit("/", 1)[1], cookie, api):
        assert secret not in stored
    assert tokens.token_hash(cookie) in stored and tokens.token_hash(api) in stored
