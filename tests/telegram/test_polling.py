"""Polling mode: the service fetches updates from the stand-in's getUpdates."""

from bot.channels.telegram.service import TelegramService
from tests.telegram.conftest import make_settings
from tests.telegram.tg import TgChat, polling_delivery, wait_for


async def polling_service(api, tutor) -> TelegramService:
    service = TelegramService(make_settings(api, mode="polling"), tutor)
    await service.start()
    return service


async def test_a_learner_is_served_over_long_polling(api, tutor, catalog):
    service = await polling_service(api, tutor)
    try:
        assert service.webhook_router() is None
        assert service.healthy
        learner = TgChat(api, polling_delivery(api), catalog)
        await learner.say("/start")
        learner.expect("Bạn có đồng ý không?")
        await learner.press("Đồng ý")
        learner.expect("Bạn thuộc nhóm nào?")
        await learner.press("Nông dân trồng chè")
        learner.expect("xã, phường nào")
        call = api.called("getUpdates")[-1]
        assert call.params["allowed_updates"] == ["message", "callback_query"]
        assert call.params["timeout"] == 30
    finally:
        await service.stop()


async def test_updates_redelivered_after_a_restart_are_not_handled_again(api, tutor, catalog):
    learner = TgChat(api, polling_delivery(api), catalog)
    update = learner.message_update(text="/start")
    first = await polling_service(api, tutor)
    try:
        await learner.send(update)
        assert len(learner.sent) == 2
    finally:
        await first.stop()

    # The process died before Telegram learnt the offset: the update comes again.
    second = await polling_service(api, tutor)
    try:
        await learner.send(update)
        assert learner.sent == []
        await learner.say("/trogiup")  # and the new process serves what is new
        assert learner.sent
    finally:
        await second.stop()


async def test_polling_survives_errors_and_a_webhook_conflict(api, tutor, catalog):
    api.webhook["url"] = "https://example.invalid/telegram/webhook"  # 409 on getUpdates
    api.fail("getUpdates", None)  # and a dropped connection before that
    service = await polling_service(api, tutor)
    try:
        await wait_for(lambda: any(c.status == 409 for c in api.calls), "a 409")
        api.webhook["url"] = ""  # `hocai telegram delete-webhook`
        learner = TgChat(api, polling_delivery(api), catalog)
        await learner.say("/start")
        learner.expect("Bạn có đồng ý không?")
        assert [c.status for c in api.called("getUpdates")][:2] == [0, 409]
    finally:
        await service.stop()
