"""The staff's weekly digest: Monday 08:00 Vietnam time, once per staff member per week
(several ticks, several workers), held through the quiet hours; with an injected clock."""

import asyncio
from datetime import time

from sqlalchemy import select

from bot.outreach import digest
from storage.models import OutboxMessage
from tests.thidua.conftest import ADMIN, STAFF_A, STAFF_B, STAFF_UNIT, TZ, vn

URL = "https://hocai.example.vn/quan-tri"


async def digests(sessions) -> dict[str, OutboxMessage]:
    async with sessions() as s:
        stmt = select(OutboxMessage).where(OutboxMessage.kind == "digest")
        return {r.user_id: r for r in (await s.execute(stmt)).scalars()}


async def tick(sessions, at, **kw) -> int:
    return await digest.tick(sessions, at, tz=TZ, dashboard_url=URL, **kw)


async def test_monday_at_eight_once_per_staff_member(sessions, province):
    assert await tick(sessions, vn(6, 23, 59)) == 0  # Sunday night
    assert await tick(sessions, vn(7, 7, 59)) == 0  # Monday, before 08:00
    assert await tick(sessions, vn(7, 8, 0)) == 4  # staff A, B, the unit's, the admin
    assert await tick(sessions, vn(7, 8, 1)) == 0  # the next tick: nothing again
    assert await tick(sessions, vn(7, 15)) == 0
    assert await tick(sessions, vn(8, 8)) == 0  # Tuesday
    sent = await digests(sessions)
    assert set(sent) == {STAFF_A, STAFF_B, STAFF_UNIT, ADMIN}
    assert sent[STAFF_UNIT].channel == "zalo"
    assert all(r.dedup_key.startswith("digest:2026W50:") for r in sent.values())
    # The next Monday: a new week, a new digest each.
    assert await tick(sessions, vn(14, 8, 5)) == 4


async def test_what_a_communes_staff_reads(sessions, province):
    await tick(sessions, vn(7, 8))
    text = (await digests(sessions))[STAFF_A].messages[0]["text"]
    # Monday 07/12 08:00: a week back is 30/11 08:00. Of A's 4 learners, a3 joined
    # on 30/11 10:00 (within the week); a2 was trained 01/12; none became proficient.
    assert text.startswith("📊 Tổng kết tuần của Phường Đức Xuân:")
    assert "• Người học mới: 1 (tổng 4)" in text
    assert "• Học xong phần cơ bản: +1 (tổng 2)" in text
    assert "• Thành thạo: +0 (tổng 1)" in text
    assert "• Xếp hạng thi đua: thứ 1/92 (↑1 bậc so với tuần trước)." in text
    assert "• Người học cần nhắc: 2. Gõ /canbo" in text
    assert text.endswith(f"Trang quản trị: {URL}")
    admin = (await digests(sessions))[ADMIN].messages[0]["text"]
    assert "toàn tỉnh" in admin and "Dẫn đầu thi đua: Phường Đức Xuân, Phường Bắc Kạn" in admin
    assert "• Người học cần nhắc: 3." in admin
    unit = (await digests(sessions))[STAFF_UNIT].messages[0]["text"]
    assert "UBND phường Đức Xuân" in unit and "thứ 1/1" in unit


async def test_quiet_hours_hold_it_back(sessions, province):
    kw = {"quiet": (time(21, 0), time(9, 30))}  # quiet until 09:30 here
    assert await tick(sessions, vn(7, 8), **kw) == 0
    assert await tick(sessions, vn(7, 9, 29), **kw) == 0
    assert await tick(sessions, vn(7, 9, 30), **kw) == 4
    assert await tick(sessions, vn(7, 9, 31), **kw) == 0


async def test_two_workers_ticking_at_once_queue_each_digest_once(sessions, province):
    results = await asyncio.gather(*(tick(sessions, vn(7, 8, 1)) for _ in range(3)))
    assert sum(results) == 4
    assert len(await digests(sessions)) == 4


async def test_the_worker_tick_sends_it(sessions, catalog, province):
    from bot.config import Settings
    from bot.engine import Engine
    from bot.process.worker import Worker
    from tests.support.clock import Clock

    settings = Settings(_env_file=None, public_base_url="https://hocai.example.vn/")
    worker = Worker(settings, Engine(sessions, catalog, clock=Clock(vn(7, 8, 3))), {})
    assert await worker.tick() == 4
    sent = await digests(sessions)
    assert sent[STAFF_B].messages[0]["text"].endswith(f"Trang quản trị: {URL}")
