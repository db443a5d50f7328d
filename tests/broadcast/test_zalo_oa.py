"""A broadcast reaching Zalo OA learners: those inside the 48-hour window get it, the
others are skipped, and the author's report says how many and why."""

from datetime import timedelta

from bot.outreach.dispatcher import Dispatcher
from storage.models import OutboxStatus
from tests.broadcast.conftest import ADMIN, all_broadcasts, learner, outbox_rows, run_ticks
from tests.broadcast.test_delivery import TEXT, broadcast_to_all
from tests.zalo_oa.conftest import connect, make_service


async def test_outside_the_window_is_skipped_and_reported(
    sessions, catalog, clock, api, telegram, province, tutor, zalo_oa_api
):
    oa = make_service(zalo_oa_api, tutor, clock=clock)
    await connect(oa, zalo_oa_api)
    inside, outside = ["oa-1", "oa-2", "oa-3"], ["oa-4", "oa-5"]
    async with sessions() as s, s.begin():
        for i, uid in enumerate(inside + outside):
            ago = timedelta(hours=2) if uid in inside else timedelta(days=3)
            s.add(
                learner(
                    50_000 + i,
                    1840,
                    channel="zalo_oa",
                    channel_user_id=uid,
                    last_active_at=clock() - ago,
                )
            )
    for uid in inside + outside:
        zalo_oa_api.interact(uid)  # Zalo would accept them all: our own check skips
    try:
        await broadcast_to_all(sessions, catalog, clock)
        senders = {"telegram": telegram, "zalo_oa": oa}
        dispatcher = Dispatcher(sessions, senders, {}, clock=clock)
        for _ in range(20):
            await run_ticks(sessions, catalog, clock)
            if not await dispatcher.run_once():
                break
    finally:
        await oa.stop()
    got = [m["user_id"] for m in zalo_oa_api.sent if m["message"].get("text") == TEXT]
    assert sorted(got) == inside
    [bc] = await all_broadcasts(sessions)
    assert (bc.status, bc.skipped, bc.failed) == ("done", 2, 0)
    skipped = [r for r in await outbox_rows(sessions, bc.id) if r.status == OutboxStatus.skipped]
    assert sorted(r.user_id for r in skipped) == outside
    assert {r.error for r in skipped} == {"outside_48h_window"}
    [report] = [c.params["text"] for c in api.called("sendMessage", chat_id=int(ADMIN), ok=True)]
    assert "Không gửi vì ngoài 48 giờ kể từ tin nhắn cuối của người học (Zalo OA): 2" in report
    assert f"Đã nhận: {bc.delivered}/{bc.recipients}" in report
