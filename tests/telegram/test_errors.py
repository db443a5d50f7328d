"""What Telegram may answer, and what the channel does about it. Nothing stops the process."""

import pytest
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import select

from bot.channels.telegram.service import TelegramService
from storage.models import Learner, LearnerStatus
from tests.telegram.conftest import make_settings
from tests.telegram.tg import TgChat


async def status(sessions, chat_id: int) -> str:
    async with sessions() as s:
        stmt = select(Learner.status).where(Learner.channel_user_id == str(chat_id))
        return (await s.execute(stmt)).scalar_one()


async def test_429_waits_retry_after_then_sends(learner, api):
    api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await learner.say("/start")
    calls = api.called("sendMessage", learner.chat_id)
    # The stand-in keeps answering 429 until retry_after has passed, as Telegram does:
    # exactly one refusal means the retry waited.
    assert [c.status for c in calls] == [429, 200, 200]
    assert calls[0].params["text"] == calls[1].params["text"]
    learner.expect("Xin chào!", "Bạn có đồng ý không?")


async def test_403_marks_the_learner_unreachable_and_sends_nothing_more(learner, api, sessions):
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", times=1)
    await learner.say("/start")  # two replies: the first is refused, the second not tried
    assert [c.status for c in api.called("sendMessage", learner.chat_id)] == [403]
    assert await status(sessions, learner.chat_id) == LearnerStatus.unreachable


async def test_a_blocked_chat_does_not_stop_other_learners(learner, api, catalog, sessions):
    await learner.say("/start")
    api.block(learner.chat_id)
    await learner.press("Đồng ý")
    assert all(c.status == 403 for c in learner.calls)
    assert await status(sessions, learner.chat_id) == LearnerStatus.unreachable

    other = TgChat(api, learner.deliver, catalog, chat_id=7002, first_name="Hùng")
    await other.say("/start")
    other.expect("Bạn có đồng ý không?")


async def test_a_dropped_connection_or_a_5xx_is_retried(learner, api):
    api.fail("sendMessage", None)  # connection dropped
    api.fail("sendMessage", 502, "Bad Gateway")
    await learner.say("/start")
    statuses = [c.status for c in api.called("sendMessage", learner.chat_id)]
    assert statuses == [0, 502, 200, 200]
    learner.expect("Xin chào!", "Bạn có đồng ý không?")


async def test_other_refusals_are_logged_and_the_rest_goes_on(learner, api, caplog):
    api.fail("answerCallbackQuery", 400, "Bad Request: query is too old")
    api.fail("sendMessage", 400, "Bad Request: chat not found")
    await learner.say("/start")
    (consent,) = learner.sent  # the greeting was refused; the consent question went out
    assert "Bạn có đồng ý không?" in consent
    await learner.press("Đồng ý")  # the answerCallbackQuery is refused; the press still counts
    learner.expect("Bạn thuộc nhóm nào?")
    assert "chat not found" in caplog.text


async def test_an_edit_that_changes_nothing_is_quietly_fine(learner, api, service):
    await learner.say("/start")
    message = api.chat(learner.chat_id)[-1]
    sender = service.handler.sender
    same = EditMessageText(
        chat_id=learner.chat_id,
        message_id=message["message_id"],
        text=message["text"],
        reply_markup=message["reply_markup"],
    )
    assert await sender.call(same, learner.chat_id) is True
    assert api.calls[-1].status == 400  # Telegram said "message is not modified"
    assert await sender.call(SendMessage(chat_id=learner.chat_id, text="x"), learner.chat_id)


async def test_webhook_mode_needs_a_secret(api, tutor):
    settings = make_settings(api, telegram_webhook_secret=None)
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        TelegramService(settings, tutor)


async def test_a_refused_token_shows_in_health_and_nothing_crashes(api, tutor):
    api.fail("getMe", 401, "Unauthorized")
    service = TelegramService(make_settings(api), tutor)
    await service.start()
    try:
        assert service.healthy is False
    finally:
        await service.stop()
