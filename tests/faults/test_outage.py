"""The webhook failure contract with the database cut off (through FaultProxy, on
Postgres): 503 and no apology while it is down, the update handled exactly once when the
platform delivers it again; a bug is answered 200 with the apology, once."""

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from bot.channels.telegram.service import TelegramService
from bot.flows import onboarding
from bot.outreach.dispatcher import Dispatcher
from bot.web.app import create_app
from storage.models import OutboxMessage, OutboxStatus, ProcessedUpdate
from tests.standins.zalo_api import event
from tests.telegram import conftest as tgconf
from tests.telegram.tg import TgChat
from tests.zalo import conftest as zconf

APOLOGY = "Xin lỗi"
OA_PATH = "/zalo-oa/webhook"


class Platform:
    """Posts like Telegram/Zalo do: again after a 5xx, until a 200. `statuses` keeps
    every answer; `on_503` runs once per 503 (the test heals the database there)."""

    def __init__(self, client: httpx.AsyncClient, path: str, header: str, secret: str):
        self.client, self.path, self.headers = client, path, {header: secret}
        self.statuses: list[int] = []
        self.on_503 = None

    async def __call__(self, body: dict) -> None:
        for _ in range(20):
            response = await self.client.post(self.path, json=body, headers=self.headers)
            self.statuses.append(response.status_code)
            if response.status_code == 200:
                return
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"]
            if self.on_503:
                self.on_503()
            await asyncio.sleep(0.05)
        raise AssertionError("never accepted")


@pytest.fixture
async def tg(telegram_api, faulty_tutor):
    service = TelegramService(tgconf.make_settings(telegram_api), faulty_tutor)
    await service.start()
    transport = httpx.ASGITransport(app=create_app([service]))
    async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as c:
        yield Platform(c, "/telegram/webhook", "X-Telegram-Bot-Api-Secret-Token", tgconf.SECRET)
    await service.stop()


@pytest.fixture
async def zalo(zalo_api, faulty_tutor):
    service = zconf.make_service(zalo_api, faulty_tutor)
    await service.start()
    transport = httpx.ASGITransport(app=create_app([service]))
    async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as c:
        yield Platform(c, "/zalo/webhook", "X-Bot-Api-Secret-Token", zconf.SECRET)
    await service.stop()


async def count(sessions, model, *where) -> int:
    async with sessions() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar()


async def test_telegram_webhook_answers_503_while_the_database_is_down(
    tg, telegram_api, proxy, direct, catalog
):
    learner = TgChat(telegram_api, tg, catalog, chat_id=9100)
    await learner.say("/start")  # warm: the pool holds connections that will be cut
    first = learner.sent
    assert first

    proxy.cut()
    tg.on_503 = lambda: (tg.statuses.count(503) >= 3) and proxy.heal()
    await learner.say("/tiendo")
    # While it was down: 503s and nothing sent (no apology); then handled once.
    assert tg.statuses[-4:-1] == [503, 503, 503] and tg.statuses[-1] == 200
    assert not any(APOLOGY in t for t in learner.sent) and learner.sent
    handled = learner.sent
    # Telegram delivers the same update once more (its answer got lost): dropped.
    update = learner.message_update(text="/tiendo")
    update["update_id"] = telegram_api.next_update_id() - 2  # the /tiendo update's id
    await learner.send(update)
    assert learner.sent == []
    assert handled and await count(direct, ProcessedUpdate) == 2
    # Every reply row was marked sent: nothing is left for the sweeper.
    assert await count(direct, OutboxMessage, OutboxMessage.status != OutboxStatus.sent) == 0


async def test_zalo_webhook_answers_503_while_the_database_is_down(zalo, zalo_api, proxy, direct):
    flat = event("zchat-1", text="/start")
    proxy.cut()
    zalo.on_503 = lambda: (zalo.statuses.count(503) >= 2) and proxy.heal()
    await zalo(flat)
    assert zalo.statuses == [503, 503, 200]
    sent = zalo_api.texts("zchat-1")
    assert sent and not any(APOLOGY in t for t in sent)
    await zalo(flat)  # delivered again: dropped
    assert zalo_api.texts("zchat-1") == sent


async def test_zalo_oa_webhook_answers_503_while_the_database_is_down(
    faulty_tutor, proxy, direct, zalo_oa_api
):
    from tests.zalo_oa import conftest as oaconf

    api = zalo_oa_api
    service = oaconf.make_service(api, faulty_tutor)
    try:
        await oaconf.connect(service, api)
        await service.start()
        transport = httpx.ASGITransport(app=create_app([service]))
        async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as c:
            raw, headers = api.signed(api.event("user_send_text", "oa-1", text="/start"))
            api.interact("oa-1")
            proxy.cut()
            statuses = []
            for _ in range(10):
                statuses.append((await c.post(OA_PATH, content=raw, headers=headers)).status_code)
                if statuses[-1] != 503:
                    break
                if statuses.count(503) >= 2:
                    proxy.heal()
                await asyncio.sleep(0.05)
            assert statuses == [503, 503, 200]
            sent = api.to("oa-1")
            assert sent and not any(APOLOGY in str(m) for m in sent)
            assert (await c.post(OA_PATH, content=raw, headers=headers)).status_code == 200
            assert api.to("oa-1") == sent  # delivered again: dropped
    finally:
        await service.stop()


async def test_a_bug_is_answered_once_with_the_apology_and_not_redelivered(
    tg, telegram_api, monkeypatch, direct, catalog
):
    def broken(ctx, code=None):
        raise RuntimeError("a bug in a flow")

    monkeypatch.setattr(onboarding, "start", broken)
    learner = TgChat(telegram_api, tg, catalog, chat_id=9200)
    update = learner.message_update(text="/start")
    await learner.send(update)
    assert tg.statuses == [200]
    assert len(learner.sent) == 1 and APOLOGY in learner.sent[0]
    await learner.send(update)  # a redelivery: the update was recorded as failed
    assert tg.statuses == [200, 200] and learner.sent == []
    assert await count(direct, ProcessedUpdate) == 1


async def test_zalo_events_without_message_id_are_handled_once(zalo, zalo_api, direct):
    flat = event("zchat-2", text="/start")
    del flat["message"]["message_id"]
    for _ in range(5):
        await zalo(flat)
    assert zalo.statuses == [200] * 5
    once = zalo_api.texts("zchat-2")
    assert once and len(once) == len(set(once))
    assert await count(direct, OutboxMessage) == 1  # one reply recorded


async def test_same_words_without_id_or_date_count_again_after_the_window(
    zalo, zalo_api, direct, monkeypatch
):
    from bot.channels.zalo import handler

    flat = event("zchat-3", text="/start")
    del flat["message"]["message_id"], flat["message"]["date"]
    await zalo(flat)
    await zalo(flat)
    n = len(zalo_api.texts("zchat-3"))
    monkeypatch.setattr(handler, "CONTENT_DEDUPE_WINDOW_SECONDS", 0.0)
    await asyncio.sleep(0.01)
    await zalo(flat)
    assert len(zalo_api.texts("zchat-3")) > n


async def test_a_reply_left_unsent_by_a_crash_is_sent_once_by_the_dispatcher(
    faulty_tutor, telegram_api, direct, catalog
):
    from bot.messages import Inbound

    service = TelegramService(tgconf.make_settings(telegram_api), faulty_tutor)
    # The serve process recorded the replies and died before sending them.
    handled = await faulty_tutor.process(
        Inbound("telegram", "9300", text="/start", update_id="777"), record=True
    )
    assert handled.reply_id and handled.replies
    dispatcher = Dispatcher(direct, {"telegram": service}, {"telegram": 0})
    assert await dispatcher.run_once() == 0  # leased to the serve process still
    await asyncio.sleep(faulty_tutor.reply_lease + 0.1)
    assert await dispatcher.run_once() == 1
    assert await dispatcher.run_once() == 0
    sent = [c for c in telegram_api.called("sendMessage") if c.params.get("chat_id") == 9300]
    assert len(sent) == len(handled.replies)
    # One row, sent once.
    assert await count(direct, OutboxMessage, OutboxMessage.status == OutboxStatus.sent) == 1
    await service.stop()


async def test_sent_replies_are_pruned_after_a_day(faulty_tutor, direct):
    from datetime import timedelta

    from bot.messages import Inbound
    from bot.outreach import replies
    from bot.outreach.replies import Sent

    handled = await faulty_tutor.process(
        Inbound("telegram", "9500", text="/start", update_id="901"), record=True
    )
    await faulty_tutor.replies.mark(handled.reply_id, Sent(), handled.recorded_at)
    await faulty_tutor.process(
        Inbound("telegram", "9501", text="/start", update_id="902"), record=True
    )  # not sent yet: kept whatever its age
    later = faulty_tutor.clock() + replies.KEEP_DECIDED + timedelta(minutes=1)
    assert await replies.prune(direct, later) == 1
    assert await count(direct, OutboxMessage) == 1


async def test_zalo_polling_keeps_an_event_until_it_is_handled(zalo_api, faulty_tutor, direct):
    from storage.models import InboxEvent

    service = zconf.make_service(zalo_api, faulty_tutor, mode="polling")
    # A previous process fetched this event and died: it is in the inbox only.
    async with direct() as s, s.begin():
        s.add(InboxEvent(channel="zalo", body=event("zchat-9", text="/start")))
    await service.start()
    try:
        for _ in range(200):
            if zalo_api.texts("zchat-9") and not await count(direct, InboxEvent):
                break
            await asyncio.sleep(0.05)
        assert zalo_api.texts("zchat-9")
        assert await count(direct, InboxEvent) == 0
        zalo_api.push(event("zchat-9", text="/tiendo"))
        for _ in range(200):
            if len(zalo_api.texts("zchat-9")) > 2 and not await count(direct, InboxEvent):
                break
            await asyncio.sleep(0.05)
        assert await count(direct, InboxEvent) == 0
    finally:
        await service.stop()
