"""Reminders and broadcasts on Zalo: the outbox dispatcher sends through ZaloService, one
attempt per message, and the learner answers the numbered choices by typing."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.messages import Choice, Outbound
from bot.outreach import outbox
from bot.outreach.dispatcher import Dispatcher
from storage.models import OutboxMessage, OutboxStatus
from tests.support.clock import Clock
from tests.zalo.zl import ZaloLearner

NOW = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
REMINDER = Outbound("🔔 Đến giờ học rồi!", (Choice("Học tiếp", "n"), Choice("Về menu", "m")))


async def queue(sessions, chat_ids: list[str]) -> None:
    async with sessions() as s, s.begin():
        rows = [
            outbox.row(f"z:{c}", "zalo", c, [REMINDER], kind="reminder", now=NOW) for c in chat_ids
        ]
        await outbox.enqueue_many(s, rows)


async def statuses(sessions) -> dict[str, int]:
    async with sessions() as s:
        query = select(OutboxMessage).where(OutboxMessage.kind != "reply")  # replies: their own
        rows = list((await s.execute(query)).scalars())
    out: dict[str, int] = {}
    for r in rows:
        out[r.status] = out.get(r.status, 0) + 1
    return out


async def test_a_reminder_arrives_numbered_and_typing_1_continues(
    learner: ZaloLearner, api, service, sessions
):
    await learner.onboard()
    await queue(sessions, [learner.chat_id])
    dispatcher = Dispatcher(sessions, {"zalo": service}, {"zalo": 0}, clock=Clock(NOW))
    assert await dispatcher.run_once() == 1
    assert await statuses(sessions) == {OutboxStatus.sent: 1}
    (text,) = api.texts(learner.chat_id, len(api.sent) - 1)
    assert text == "🔔 Đến giờ học rồi!\n\n1. Học tiếp\n2. Về menu\n\nTrả lời 1 hoặc 2."
    await learner.say("1")
    learner.expect("📚 Bài 1.1")


async def test_a_429_pauses_the_channel_and_every_message_arrives_once(api, service, sessions):
    chats = [f"z-{i}" for i in range(5)]
    await queue(sessions, chats)
    api.fail("sendMessage", 429, "Quota exceeded", times=2)
    clock = Clock(NOW)
    dispatcher = Dispatcher(sessions, {"zalo": service}, {"zalo": 0}, clock=clock)
    for _ in range(10):
        if not await dispatcher.run_once():
            clock.now += timedelta(seconds=30)  # let the rescheduled rows come due
            if not await dispatcher.run_once():
                break
    assert await statuses(sessions) == {OutboxStatus.sent: 5}
    assert len(api.called("sendMessage", 429)) == 2
    for chat in chats:
        assert len(api.texts(chat)) == 1


async def test_a_refused_message_is_not_retried(api, service, sessions):
    await queue(sessions, ["z-1"])
    api.fail("sendMessage", 400, "text is invalid", times=1)
    dispatcher = Dispatcher(sessions, {"zalo": service}, {"zalo": 0}, clock=Clock(NOW))
    await dispatcher.run_once()
    assert await statuses(sessions) == {OutboxStatus.failed: 1}
    assert len(api.called("sendMessage")) == 1
    async with sessions() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
    assert row.error.startswith("400 text is invalid")
