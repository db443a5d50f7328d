"""Reminders on the Zalo OA through the outbox: sent with buttons inside the 48-hour
window, skipped (and counted, with the reason) outside it, Zalo's refusals mapped to
retry, skip or unreachable."""

from datetime import timedelta

from sqlalchemy import select, update

from bot.messages import Choice, Outbound
from bot.outreach import outbox
from bot.outreach.dispatcher import Dispatcher
from storage.models import Learner, LearnerStatus, OutboxMessage, OutboxStatus
from storage.types import utcnow
from tests.zalo_oa.oa import OALearner

REMINDER = Outbound("🔔 Đến giờ học rồi!", (Choice("Học tiếp", "n"), Choice("Về menu", "m")))


async def queue(sessions, user_id: str, key: str = "r1") -> None:
    async with sessions() as s, s.begin():
        learner_id = (
            await s.execute(select(Learner.id).where(Learner.channel_user_id == user_id))
        ).scalar_one_or_none()
        row = outbox.row(
            key,
            "zalo_oa",
            user_id,
            [REMINDER],
            kind="reminder",
            now=utcnow(),
            learner_id=learner_id,
        )
        await outbox.enqueue_many(s, [row])


async def rows(sessions) -> list[OutboxMessage]:
    """The queued messages (reminders, broadcasts); recorded replies have their own tests."""
    query = select(OutboxMessage).where(OutboxMessage.kind != "reply")
    async with sessions() as s:
        return list((await s.execute(query.order_by(OutboxMessage.id))).scalars())


async def last_active(sessions, ago: timedelta) -> None:
    async with sessions() as s, s.begin():
        await s.execute(update(Learner).values(last_active_at=utcnow() - ago))


def dispatcher(sessions, service) -> Dispatcher:
    return Dispatcher(sessions, {"zalo_oa": service}, {"zalo_oa": 0})


async def test_inside_the_window_a_reminder_comes_with_buttons_and_a_tap_continues(
    learner: OALearner, api, service, sessions
):
    await learner.onboard()
    await queue(sessions, learner.user_id)
    assert await dispatcher(sessions, service).run_once() == 1
    [row] = await rows(sessions)
    assert row.status == OutboxStatus.sent
    message = api.sent[-1]["message"]
    assert message["text"] == "🔔 Đến giờ học rồi!"
    assert [b["title"] for b in message["attachment"]["payload"]["buttons"]] == [
        "Học tiếp",
        "Về menu",
    ]
    learner.buttons = [
        (b["title"], b["payload"]) for b in message["attachment"]["payload"]["buttons"]
    ]
    await learner.tap("Học tiếp")
    learner.expect("📚 Bài 1.1")


async def test_outside_the_window_a_reminder_is_skipped_with_its_reason(
    learner: OALearner, api, service, sessions
):
    await learner.onboard()
    await last_active(sessions, timedelta(hours=49))
    sends = len(api.calls)
    await queue(sessions, learner.user_id)
    assert await dispatcher(sessions, service).run_once() == 1
    [row] = await rows(sessions)
    assert (row.status, row.error) == (OutboxStatus.skipped, "outside_48h_window")
    assert len(api.calls) == sends  # Zalo was not even asked


async def test_zalo_saying_outside_the_window_is_a_skip_too(
    learner: OALearner, api, service, sessions
):
    await learner.onboard()
    api.last_interaction[learner.user_id] -= 3 * 86400  # Zalo's view differs from ours
    await queue(sessions, learner.user_id)
    await dispatcher(sessions, service).run_once()
    [row] = await rows(sessions)
    assert (row.status, row.error) == (OutboxStatus.skipped, "outside_48h_window")
    assert api.calls[-1].error == -230


async def test_quota_is_retried_later_and_an_unfollowed_user_is_unreachable(
    learner: OALearner, api, service, sessions
):
    await learner.onboard()
    api.fail("/v3.0/oa/message/cs", -211)
    await queue(sessions, learner.user_id)
    await dispatcher(sessions, service).run_once()
    [row] = await rows(sessions)
    assert (row.status, row.attempts) == (OutboxStatus.pending, 0)
    api.followers.discard(learner.user_id)  # unfollowed without us hearing of it
    await queue(sessions, learner.user_id, "r2")
    async with sessions() as s, s.begin():
        await s.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    await dispatcher(sessions, service).run_once()
    assert {r.status for r in await rows(sessions)} == {OutboxStatus.blocked}
    async with sessions() as s:
        status = (await s.execute(select(Learner.status))).scalar_one()
    assert status == LearnerStatus.unreachable
