"""What the platform says when things go wrong: 429, 401, 5xx, dropped connections, 400,
a redelivered event; in webhook and polling mode."""

import logging

import httpx
import pytest
from sqlalchemy import select

from bot.channels.zalo.service import ZaloService
from bot.web.app import create_app
from storage.models import OutboxMessage, OutboxStatus
from tests.standins.zalo_api import event
from tests.zalo.conftest import FAST, make_service, make_settings
from tests.zalo.zl import wait_for


async def test_429_is_waited_out_and_the_reply_still_arrives(learner, api):
    # 429 to every sendMessage until 0.2 s after the first: retrying without waiting
    # would spend all attempts inside that window and lose the reply.
    api.quota_exceeded("sendMessage", 0.2)
    await learner.say("/start")
    assert api.called("sendMessage", 429)
    learner.expect("Mình là trợ lý học AI tự động", "Bạn có đồng ý không?")
    assert len(api.called("sendMessage", 200)) == 2


async def test_429_retries_are_bounded_and_the_rest_is_left_to_the_outbox(
    learner, api, caplog, sessions
):
    api.quota_exceeded("sendMessage", 60)
    await learner.say("/start")
    assert learner.sent == []
    # The greeting was tried FAST.attempts times, no more; then the sending stopped and
    # both replies (greeting, consent) wait in the outbox for the dispatcher.
    assert len(api.called("sendMessage", 429)) == FAST.attempts
    assert "sendMessage failed: 429" in caplog.text
    async with sessions() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
    assert (row.kind, row.status, len(row.messages)) == ("reply", OutboxStatus.pending, 2)


async def test_network_errors_and_5xx_are_retried(learner, api):
    api.fail("sendMessage", None, times=2)  # dropped connections
    api.fail("sendMessage", 502, "Bad Gateway", times=1)
    await learner.say("/start")
    learner.expect("Mình là trợ lý học AI tự động", "Bạn có đồng ý không?")
    assert len(api.called("sendMessage", 0)) == 2 and len(api.called("sendMessage", 502)) == 1


async def test_a_refused_message_is_not_retried_and_the_next_one_goes(learner, api, caplog):
    api.fail("sendMessage", 400, "text is invalid", times=1)
    await learner.say("/start")
    assert len(api.called("sendMessage")) == 2  # the refused one once, then the next
    learner.expect("Bạn có đồng ý không?")
    assert "sendMessage failed: 400 text is invalid" in caplog.text


async def test_a_bad_token_is_logged_clearly_and_makes_the_channel_unhealthy(api, tutor, caplog):
    service = ZaloService(
        make_settings(api, zalo_bot_token="1:not-the-token-XYZ"), tutor, retry=FAST
    )
    with caplog.at_level(logging.ERROR, logger="hocai.zalo"):
        await service.start()
    try:
        assert not service.healthy
        assert "401 Unauthorized" in caplog.text and "ZALO_BOT_TOKEN" in caplog.text
        assert len(api.called("getMe", 401)) == 1  # a 401 is not retried
        transport = httpx.ASGITransport(app=create_app([service]))
        async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as c:
            health = (await c.get("/healthz")).json()
        assert health == {"status": "degraded", "channels": {"zalo": False}}
        assert "not-the-token-XYZ" not in caplog.text  # the token never reaches the logs
    finally:
        await service.stop()


async def test_the_token_is_never_logged(learner, api, caplog):
    caplog.set_level(logging.DEBUG)
    api.fail("sendMessage", None, times=1)
    await learner.say("/start")
    ours = [r for r in caplog.records if not r.name.startswith("aiohttp")]  # the stand-in's
    assert ours and not any(api.token.split(":")[1] in r.getMessage() for r in ours)


async def test_polling_backs_off_after_429_and_errors_and_carries_on(
    api, polling_service, polling_learner
):
    api.quota_exceeded("getUpdates", 0.1)
    api.fail("getUpdates", None, times=1)
    await polling_learner.say("/start")
    polling_learner.expect("Mình là trợ lý học AI tự động")
    assert api.called("getUpdates", 429) and api.called("getUpdates", 0)
    assert polling_service.healthy


async def test_polling_hands_out_the_same_message_twice_and_it_is_answered_once(
    api, polling_learner
):
    flat = polling_learner.event(text="/start", msg_id="poll-dup-1")
    await polling_learner.send(flat)
    assert len(polling_learner.sent) == 2
    await polling_learner.send(flat)
    assert polling_learner.sent == []


async def test_polling_while_a_webhook_is_set_is_reported(api, tutor, caplog):
    api.webhook["url"] = "https://hocai.example/zalo/webhook"
    service = make_service(api, tutor, mode="polling")
    await service.start()
    try:
        assert "a Zalo webhook is set" in caplog.text
        assert "hocai zalo delete-webhook" in caplog.text
        await wait_for(lambda: api.called("getUpdates", 400), "getUpdates refused")
    finally:
        await service.stop()


async def test_polling_handles_chats_concurrently_and_each_chat_in_order(
    api, polling_service, catalog
):
    for chat in ("chat-a", "chat-b"):
        api.push(event(chat, text="/start"))
        api.push(event(chat, text="1"))
    await wait_for(lambda: not api.events, "all events fetched")
    await wait_for(lambda: len(api.texts("chat-a")) >= 3, "chat-a answered")
    await wait_for(lambda: len(api.texts("chat-b")) >= 3, "chat-b answered")
    await polling_service.events.idle()
    for chat in ("chat-a", "chat-b"):
        sent = api.texts(chat)
        assert "Bạn có đồng ý không?" in sent[1] and "Bạn thuộc nhóm nào?" in sent[2]


@pytest.mark.parametrize("secret", [None, "short"])
def test_webhook_mode_needs_a_secret_of_8_to_256_characters(api, tutor, secret):
    with pytest.raises(ValueError, match="ZALO_WEBHOOK_SECRET"):
        ZaloService(make_settings(api, zalo_webhook_secret=secret), tutor)


async def test_polling_mode_serves_no_webhook(api, tutor):
    service = ZaloService(make_settings(api, mode="polling"), tutor)
    assert service.webhook_router() is None
    assert not service.healthy  # not polling yet
    await service.stop()
