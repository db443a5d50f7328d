"""Broadcast tests: a small province (learners in communes A and B, units, staff), the
Telegram stand-in the dispatcher sends to, an injectable clock, and helpers that run the
worker's tick and the dispatcher until everything is decided."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.channels.telegram.service import TelegramService
from bot.engine import Engine
from bot.outreach import broadcasts
from bot.outreach.dispatcher import Dispatcher
from storage.models import Broadcast, Learner, OutboxMessage, StaffRole, Unit
from tests.support.clock import Clock
from tests.telegram.conftest import make_settings
from tests.transcript import Chat

COMMUNE_A, COMMUNE_B = 1840, 1843  # Phường Đức Xuân, Phường Bắc Kạn
NAME_A, NAME_B = "Phường Đức Xuân", "Phường Bắc Kạn"
STAFF_A, STAFF_B, STAFF_UNIT, ADMIN = "200", "300", "400", "900"
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 13:00 in Vietnam


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def tutor(sessions, catalog, clock):
    return Engine(sessions, catalog, rng=random.Random(7), clock=clock)


@pytest.fixture
def api(telegram_api):
    return telegram_api


@pytest.fixture
async def telegram(api, tutor):
    service = TelegramService(make_settings(api, mode="polling"), tutor)
    yield service
    await service.stop()


def learner(uid: int, commune: int, **extra) -> Learner:
    values = {
        "channel": "telegram",
        "channel_user_id": str(uid),
        "status": "active",
        "group_code": "dan",
        "commune_code": commune,
        "consent_at": NOW - timedelta(days=3),
        "state": "menu",
        **extra,
    }
    return Learner(**values)


@pytest.fixture
async def province(sessions):
    """Units UA (commune A) and UB (commune B); 6 learners in A (one of them in unit UA,
    one a farmer), 4 in B; staff of A, of B, of unit UA; an admin."""
    async with sessions() as s, s.begin():
        ua = Unit(code="UA", name="UBND phường Đức Xuân", commune_code=COMMUNE_A)
        ub = Unit(code="UB", name="UBND phường Bắc Kạn", commune_code=COMMUNE_B)
        s.add_all([ua, ub])
        await s.flush()
        s.add_all(
            [
                learner(7001, COMMUNE_A, unit_id=ua.id, group_code="cb"),
                learner(7002, COMMUNE_A, group_code="che"),
                *(learner(7000 + i, COMMUNE_A) for i in range(3, 7)),
                *(learner(8000 + i, COMMUNE_B) for i in range(1, 5)),
            ]
        )
        s.add_all(
            [
                StaffRole(
                    channel="telegram",
                    channel_user_id=STAFF_A,
                    role="staff",
                    scope="commune",
                    commune_code=COMMUNE_A,
                ),
                StaffRole(
                    channel="telegram",
                    channel_user_id=STAFF_B,
                    role="staff",
                    scope="commune",
                    commune_code=COMMUNE_B,
                ),
                StaffRole(
                    channel="telegram",
                    channel_user_id=STAFF_UNIT,
                    role="staff",
                    scope="unit",
                    unit_id=ua.id,
                ),
                StaffRole(channel="telegram", channel_user_id=ADMIN, role="admin"),
            ]
        )
    return {"UA": ua.id, "UB": ub.id}


A_LEARNERS = [str(7000 + i) for i in range(1, 7)]
B_LEARNERS = [str(8000 + i) for i in range(1, 5)]


@pytest.fixture
def staff_a(tutor, catalog, province):
    return Chat(tutor, catalog, user_id=STAFF_A, channel="telegram", name="Cán bộ A")


@pytest.fixture
def staff_b(tutor, catalog, province):
    return Chat(tutor, catalog, user_id=STAFF_B, channel="telegram", name="Cán bộ B")


@pytest.fixture
def admin(tutor, catalog, province):
    return Chat(tutor, catalog, user_id=ADMIN, channel="telegram", name="Quản trị")


async def compose(chat: Chat, text: str, link: str | None = None) -> None:
    """/thongbao → text → link (or none): the audience menu is on screen."""
    await chat.say("/thongbao")
    if "Soạn thông báo mới" in chat.labels:
        await chat.tap("Soạn thông báo mới")
    await chat.say(text)
    if link:
        await chat.say(link)
    else:
        await chat.tap("Không kèm đường dẫn")


async def run_ticks(sessions, catalog, clock, **kw) -> int:
    queued = 0
    for _ in range(1000):
        n = await broadcasts.tick(sessions, catalog, clock(), **kw)
        queued += n
        if not n:
            return queued
    raise AssertionError("tick did not settle")


async def deliver_all(sessions, catalog, clock, telegram, rate: float = 0) -> None:
    """The worker's loop, by hand: tick, dispatch, until nothing is left to do."""
    dispatcher = Dispatcher(sessions, {"telegram": telegram}, {"telegram": rate}, clock=clock)
    for _ in range(100):
        await run_ticks(sessions, catalog, clock)
        if not await dispatcher.run_once():
            clock.now += timedelta(seconds=5)  # let backed-off rows come due
            await run_ticks(sessions, catalog, clock)
            if not await dispatcher.run_once():
                return
    raise AssertionError("delivery did not settle")


async def all_broadcasts(sessions) -> list[Broadcast]:
    async with sessions() as s:
        return list((await s.execute(select(Broadcast).order_by(Broadcast.id))).scalars())


async def outbox_rows(sessions, broadcast_id: int | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if broadcast_id is not None:
        stmt = stmt.where(OutboxMessage.broadcast_id == broadcast_id)
    async with sessions() as s:
        return list((await s.execute(stmt)).scalars())


def received(api, chat_ids, text_start: str) -> dict[str, int]:
    """How many messages starting with text_start each chat got (successful sends)."""
    return {
        cid: sum(
            1
            for c in api.called("sendMessage", chat_id=int(cid), ok=True)
            if c.params["text"].startswith(text_start)
        )
        for cid in chat_ids
    }
