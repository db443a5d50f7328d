"""The dashboard's «Thông báo» and «Cán bộ» pages: each viewer sees the broadcasts of
their scope; an admin grants a staff role that works in the chat at once."""

import httpx
import pytest
from sqlalchemy import select

from bot.admin.roles import principal_for
from bot.config import Settings
from bot.outreach import broadcasts
from bot.web.app import create_app
from storage.models import AuditLog, StaffRole
from tests.admin.conftest import SECRET, open_session
from tests.broadcast.conftest import ADMIN, STAFF_A, STAFF_B, compose
from tests.transcript import Chat


@pytest.fixture
def settings(db_url):
    return Settings(
        _env_file=None, database_url=db_url, public_base_url="http://testserver", secret_key=SECRET
    )


@pytest.fixture
async def client(sessions, catalog, settings):
    app = create_app([], sessions=sessions, catalog=catalog, settings=settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def _broadcast(sessions, catalog, settings, user_id, text, clock):
    async with sessions() as s, s.begin():
        who = await principal_for(s, settings, "telegram", user_id)
        audience = await broadcasts.resolve(s, who, "all")
        return (await broadcasts.create(s, catalog, who, audience, text, None, clock())).id


@pytest.fixture
async def two(sessions, catalog, settings, province, clock):
    a = await _broadcast(sessions, catalog, settings, STAFF_A, "Tin của phường Đức Xuân", clock)
    b = await _broadcast(sessions, catalog, settings, STAFF_B, "Tin của phường Bắc Kạn", clock)
    return a, b


async def test_each_viewer_sees_the_broadcasts_of_their_scope(client, sessions, settings, two):
    await open_session(client, sessions, settings, "telegram", STAFF_A)
    page = (await client.get("/quan-tri/thong-bao")).text
    assert "Tin của phường Đức Xuân" in page and "Tin của phường Bắc Kạn" not in page
    assert "0/6" in page and "Đang chuẩn bị" in page
    assert f'action="/quan-tri/thong-bao/{two[0]}/huy"' in page
    assert "/quan-tri/can-bo" not in page  # the staff page is for admins
    await open_session(client, sessions, settings, "telegram", ADMIN)
    page = (await client.get("/quan-tri/thong-bao")).text
    assert "Tin của phường Đức Xuân" in page and "Tin của phường Bắc Kạn" in page


async def test_staff_cancel_only_their_own(client, sessions, settings, two):
    csrf = await open_session(client, sessions, settings, "telegram", STAFF_B)
    r = await client.post(f"/quan-tri/thong-bao/{two[0]}/huy", data={"csrf": csrf})
    assert r.status_code == 403
    r = await client.post(f"/quan-tri/thong-bao/{two[1]}/huy", data={"csrf": csrf})
    assert r.status_code == 200 and f"Đã hủy thông báo #{two[1]}" in r.text
    statuses = [b.status for b in await _all(sessions)]
    assert statuses == ["queueing", "cancelled"]


async def test_an_admin_grants_a_role_that_works_in_the_chat(
    client, sessions, settings, province, tutor, catalog
):
    csrf = await open_session(client, sessions, settings, "telegram", ADMIN)
    form = {"csrf": csrf, "kenh": "telegram", "ma_nguoi_dung": "600", "pham_vi": "commune:1843"}
    r = await client.post("/quan-tri/can-bo/them", data={**form, "pham_vi": "commune:1"})
    assert "no commune with code 1" in r.text
    r = await client.post("/quan-tri/can-bo/them", data=form)
    assert r.status_code == 200 and "Đã cấp quyền cán bộ cho telegram:600" in r.text
    assert "Phường Bắc Kạn" in r.text
    async with sessions() as s:
        role = (
            await s.execute(select(StaffRole).where(StaffRole.channel_user_id == "600"))
        ).scalar_one()
        audit = (
            await s.execute(select(AuditLog).where(AuditLog.action == "role_set"))
        ).scalar_one()
    assert (role.scope, role.commune_code) == ("commune", 1843)
    assert audit.actor == f"admin:telegram:{ADMIN}"
    new_staff = Chat(tutor, catalog, user_id="600", channel="telegram")
    await compose(new_staff, "Chào cả phường!")
    await new_staff.tap("Tất cả người học")
    new_staff.expect("Người nhận: tất cả người học, Phường Bắc Kạn.", "Số người nhận: 4")
    r = await client.post(
        "/quan-tri/can-bo/xoa", data={"csrf": csrf, "kenh": "telegram", "ma_nguoi_dung": "600"}
    )
    assert "Đã bỏ quyền của telegram:600" in r.text
    await new_staff.say("/thongbao")  # their draft was open: it is dropped, and said so
    new_staff.expect("không còn quyền gửi thông báo; bản soạn đã bỏ")
    await new_staff.say("/thongbao")
    new_staff.expect("Bạn có đồng ý không?")  # no longer staff: what any new chat gets
    new_staff.expect_not("Soạn thông báo")


async def _all(sessions):
    from tests.broadcast.conftest import all_broadcasts

    return await all_broadcasts(sessions)
