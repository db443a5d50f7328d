"""The dashboard's Thi đua, Phễu học and Cần nhắc pages: what a commune's staff see, and a
nudge from the web; on SQLite and Postgres."""

import pytest
from sqlalchemy import select

from storage.models import OutboxMessage
from tests.admin.conftest import app, clean, client, open_session, settings  # noqa: F401
from tests.support.clock import Clock
from tests.thidua.conftest import NAME_A, NAME_B, NOW, STAFF_A


@pytest.fixture
def web(app, province):  # noqa: F811
    app.state.admin.reports.clock = Clock(NOW)
    return app


async def test_leaderboard_page(client, web, sessions, settings):  # noqa: F811
    await open_session(client, sessions, settings, "telegram", STAFF_A)
    page = (await client.get("/quan-tri/thi-dua")).text
    assert "Thi đua: xếp hạng theo tỷ lệ học xong phần cơ bản" in page
    assert NAME_A in page and NAME_B in page  # the whole ranking, aggregates only
    assert f"{NAME_A} <strong>(của bạn)</strong>" in page
    assert '<svg viewBox="0 0 600' in page and "↑1" in page and "↓1" in page
    page = (await client.get("/quan-tri/thi-dua?theo=proficient")).text
    assert "theo tỷ lệ thành thạo" in page
    assert (await client.get("/quan-tri/thi-dua?theo=nope")).status_code == 400


async def test_funnel_page_is_scoped(client, web, sessions, settings):  # noqa: F811
    await open_session(client, sessions, settings, "telegram", STAFF_A)
    page = (await client.get("/quan-tri/pheu-hoc")).text
    assert "Phễu học và giữ chân người học" in page and NAME_A in page
    assert NAME_B not in page
    assert "Học xong nửa lộ trình" in page and "Tuần 11" in page
    assert (await client.get("/quan-tri/pheu-hoc?theo=don-vi")).status_code == 200


async def test_stalled_page_and_a_nudge_from_the_web(client, web, sessions, settings):  # noqa: F811
    csrf = await open_session(client, sessions, settings, "telegram", STAFF_A)
    page = (await client.get("/quan-tri/can-nhac")).text
    assert "Người học cần nhắc (2)" in page
    assert "Lê Văn Cường" in page and "Phạm Thị Dung" in page
    assert "Vũ Thị Giang" not in page  # commune B's
    assert "đã tắt nhắc" in page
    async with sessions() as s:
        from storage.models import Learner

        a3 = (await s.execute(select(Learner.id).where(Learner.channel_user_id == "a3"))).scalar()
    r = await client.post(f"/quan-tri/can-nhac/{a3}/nhac", data={"csrf": csrf})
    assert r.status_code == 200 and "Đã xếp lời nhắc vào hàng gửi cho Lê Văn Cường." in r.text
    r = await client.post(f"/quan-tri/can-nhac/{a3}/nhac", data={"csrf": csrf})
    assert "đã được nhắc hôm nay rồi" in r.text
    r = await client.post(f"/quan-tri/can-nhac/{a3}/da-goi", data={"csrf": csrf})
    assert "Đã ghi nhận: bạn đã gọi cho Lê Văn Cường." in r.text
    assert (
        await client.post(f"/quan-tri/can-nhac/{a3}/xoa", data={"csrf": csrf})
    ).status_code == 400
    async with sessions() as s:
        rows = list((await s.execute(select(OutboxMessage))).scalars())
    assert [(r.kind, r.user_id) for r in rows] == [("nudge", "a3")]
