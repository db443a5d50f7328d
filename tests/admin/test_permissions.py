"""The permission matrix: learner / staff of commune A / staff of commune B / admin ×
every dashboard page and API route -> allowed (2xx) or 403. Staff see only their scope."""

import csv
import io

import pytest

from tests.admin.conftest import (
    COMMUNE_A,
    COMMUNE_B,
    add_role,
    api_token,
    open_session,
)

WHO = ("learner", "staff_a", "staff_b", "admin")
CHATS = {
    "learner": ("telegram", "100"),  # no role (for instance a staff member since removed)
    "staff_a": ("zalo", "200"),
    "staff_b": ("telegram", "300"),
    "admin": ("telegram", "900"),  # from ADMIN_TELEGRAM_IDS
}
UNIT_A, UNIT_B = f"DEMO-UB{COMMUNE_A}", f"DEMO-UB{COMMUNE_B}"
ALL = dict(learner=403, staff_a=200, staff_b=200, admin=200)
ONLY_A = dict(learner=403, staff_a=200, staff_b=403, admin=200)
ONLY_B = dict(learner=403, staff_a=403, staff_b=200, admin=200)
ADMIN = dict(learner=403, staff_a=403, staff_b=403, admin=200)
PUBLIC = dict(learner=200, staff_a=200, staff_b=200, admin=200)
STALLED_A, STALLED_B = 401, 402  # after the 400 demo learners (see people)
UNITS_CSV = "code,name,commune_code,kind,headcount\nNEWUNIT,Phòng Văn hóa,1840,agency,12\n"
STAFF_FORM = {"kenh": "zalo", "ma_nguoi_dung": "555", "pham_vi": f"commune:{COMMUNE_A}"}

# (method, path, form or None, expected): "route" is the app's path template it covers.
DASHBOARD = [
    ("GET", "/quan-tri", None, ALL),
    ("GET", "/quan-tri/chi-tieu", None, ALL),
    ("GET", "/quan-tri/xa-phuong", None, ALL),
    ("GET", "/quan-tri/xa-phuong?sap=tt&chieu=tang&duoi=1", None, ALL),
    ("GET", "/quan-tri/don-vi", None, ALL),
    ("GET", "/quan-tri/don-vi/ma-qr.zip", None, ALL),
    ("GET", f"/quan-tri/don-vi/{UNIT_A}/qr.png", None, ONLY_A),
    ("GET", f"/quan-tri/don-vi/{UNIT_B}/qr.png", None, ONLY_B),
    ("POST", "/quan-tri/don-vi/nhap", "units", ADMIN),
    ("GET", "/quan-tri/nguoi-hoc", None, ALL),
    ("GET", "/quan-tri/nguoi-hoc?q=nguyen&trang=2", None, ALL),
    ("GET", f"/quan-tri/nguoi-hoc?xa={COMMUNE_A}", None, ONLY_A),
    ("GET", f"/quan-tri/nguoi-hoc?xa={COMMUNE_B}", None, ONLY_B),
    ("GET", f"/quan-tri/nguoi-hoc?don_vi={UNIT_A}", None, ONLY_A),
    ("GET", "/quan-tri/thi-dua", None, ALL),  # the whole ranking: aggregates only
    ("GET", "/quan-tri/thi-dua?theo=proficient", None, ALL),
    ("GET", "/quan-tri/pheu-hoc", None, ALL),
    ("GET", "/quan-tri/pheu-hoc?theo=nhom&nhom=cb", None, ALL),
    ("GET", f"/quan-tri/pheu-hoc?xa={COMMUNE_A}", None, ONLY_A),
    ("GET", f"/quan-tri/pheu-hoc?theo=don-vi&don_vi={UNIT_B}", None, ONLY_B),
    ("GET", "/quan-tri/can-nhac", None, ALL),
    ("POST", f"/quan-tri/can-nhac/{STALLED_A}/da-goi", {}, ONLY_A),  # see people
    ("POST", f"/quan-tri/can-nhac/{STALLED_B}/nhac", {}, ONLY_B),
    ("GET", "/quan-tri/xuat-du-lieu", None, ALL),
    ("POST", "/quan-tri/xuat-du-lieu/tai", {"dinh_dang": "csv"}, ALL),
    ("POST", "/quan-tri/xuat-du-lieu/tai", {"dinh_dang": "xlsx", "nhom": "cb"}, ALL),
    ("POST", "/quan-tri/xuat-du-lieu/tai", {"dinh_dang": "csv", "xa": str(COMMUNE_A)}, ONLY_A),
    ("POST", "/quan-tri/xuat-du-lieu/tai", {"dinh_dang": "csv", "don_vi": UNIT_B}, ONLY_B),
    ("GET", "/quan-tri/thong-bao", None, ALL),
    ("POST", "/quan-tri/thong-bao/1/huy", {}, ONLY_A),  # staff A's broadcast (see people)
    ("GET", "/quan-tri/chung-nhan", None, ALL),
    ("GET", "/quan-tri/chung-nhan?q=2026&trang=2", None, ALL),
    ("POST", "/quan-tri/chung-nhan/1/cap-lai", {"ten": "Nguyễn Văn Mới"}, ADMIN),
    ("POST", "/quan-tri/chung-nhan/2/thu-hoi", {}, ADMIN),  # the re-issued one
    ("GET", "/quan-tri/can-bo", None, ADMIN),
    ("GET", "/quan-tri/cau-hoi", None, ADMIN),  # commune staff: no; province staff: below
    ("POST", "/quan-tri/can-bo/them", STAFF_FORM, ADMIN),
    ("POST", "/quan-tri/can-bo/xoa", {"kenh": "zalo", "ma_nguoi_dung": "555"}, ADMIN),
    ("POST", "/dang-xuat", {}, PUBLIC),  # anyone with a session may end it
]
API = [
    ("GET", "/api/me", ALL),
    ("GET", "/api/targets", ALL),
    ("GET", f"/api/targets?commune={COMMUNE_A}", ONLY_A),
    ("GET", f"/api/targets?unit={UNIT_B}", ONLY_B),
    ("GET", "/api/export/progress?format=csv", ALL),
    ("GET", f"/api/export/progress?format=csv&commune={COMMUNE_B}", ONLY_B),
    ("GET", f"/api/export/progress?format=xlsx&unit={UNIT_A}&group=cb", ONLY_A),
]
PUBLIC_ROUTES = [
    "/healthz",
    "/readyz",  # probes and metrics: the reverse proxy keeps them internal (docs/DEPLOY.md)
    "/metrics",
    "/dang-nhap",
    "/dang-nhap/not-a-token",
    f"/vao/{UNIT_A}",
    "/static/style.css",
    "/docs",
    "/openapi.json",
]
# Path templates covered above (POST /dang-nhap/{token} is tested in test_login.py).
COVERED = {
    "/quan-tri",
    "/quan-tri/chi-tieu",
    "/quan-tri/xa-phuong",
    "/quan-tri/don-vi",
    "/quan-tri/don-vi/ma-qr.zip",
    "/quan-tri/don-vi/{code}/qr.png",
    "/quan-tri/don-vi/nhap",
    "/quan-tri/nguoi-hoc",
    "/quan-tri/xuat-du-lieu",
    "/quan-tri/xuat-du-lieu/tai",
    "/quan-tri/thi-dua",
    "/quan-tri/pheu-hoc",
    "/quan-tri/can-nhac",
    "/quan-tri/can-nhac/{learner_id}/{what}",
    "/quan-tri/thong-bao",
    "/quan-tri/thong-bao/{broadcast_id}/huy",
    "/quan-tri/chung-nhan",
    "/quan-tri/chung-nhan/{cert_id}/cap-lai",
    "/quan-tri/chung-nhan/{cert_id}/thu-hoi",
    "/verify/{code}",  # public: test_certificate_pages_are_public
    "/chung-nhan/{token}.{ext}",
    "/quan-tri/can-bo",
    "/quan-tri/can-bo/them",
    "/quan-tri/can-bo/xoa",
    "/quan-tri/cau-hoi",
    "/dang-xuat",
    "/api/me",
    "/api/targets",
    "/api/export/progress",
    "/healthz",
    "/readyz",
    "/metrics",
    "/dang-nhap",
    "/dang-nhap/{token}",
    "/vao/{code}",
    "/static",
    "/docs",
    "/openapi.json",
    "/docs/oauth2-redirect",
}


@pytest.fixture
async def people(sessions, demo, catalog, settings):
    from datetime import timedelta

    from bot.admin.roles import principal_for
    from bot.outreach import broadcasts
    from storage.models import Learner
    from storage.types import utcnow

    await add_role(sessions, *CHATS["staff_a"], commune=COMMUNE_A)
    await add_role(sessions, *CHATS["staff_b"], commune=COMMUNE_B)
    async with sessions() as s, s.begin():  # broadcast #1: staff A's, scheduled
        who = await principal_for(s, settings, *CHATS["staff_a"])
        audience = await broadcasts.resolve(s, who, "all")
        now = utcnow()
        await broadcasts.create(
            s, catalog, who, audience, "Họp tổ", None, now, scheduled_at=now + timedelta(days=1)
        )
    async with sessions() as s, s.begin():  # a stalled learner in A, one in B (401, 402)
        for uid, commune in (("a-1", COMMUNE_A), ("b-1", COMMUNE_B)):
            s.add(
                Learner(
                    channel="telegram",
                    channel_user_id=uid,
                    status="active",
                    commune_code=commune,
                    group_code="dan",
                    reminders_ignored=4,
                    created_at=utcnow() - timedelta(days=30),
                )
            )
            await s.flush()
    async with sessions() as s, s.begin():  # certificate #1: a learner of commune A's
        from sqlalchemy import select

        from bot.certificates import service

        learner = (
            await s.execute(select(Learner).where(Learner.commune_code == COMMUNE_A).limit(1))
        ).scalar_one()
        cert = await service.issue(
            s,
            learner_id=learner.id,
            name="Nguyễn Văn An",
            full_name_public=False,
            track="dan",
            score=13,
            total=15,
            passed_at=now,
            now=now,
        )
    return {"certificate": (cert.code, cert.file_token)}


def test_the_matrix_covers_every_route(app):
    paths = {r.path for r in app.routes if hasattr(r, "path")}
    assert paths - COVERED == set(), "a route is missing from the permission matrix"


@pytest.mark.parametrize("who", WHO)
async def test_dashboard_matrix(client, sessions, settings, people, who):
    csrf = await open_session(client, sessions, settings, *CHATS[who])
    for method, path, form, expected in DASHBOARD:
        if method == "GET":
            r = await client.get(path)
        elif form == "units":
            r = await client.post(
                path,
                data={"csrf": csrf},
                files={"file": ("units.csv", UNITS_CSV.encode(), "text/csv")},
            )
        else:
            r = await client.post(path, data={"csrf": csrf, **form})
        want = expected[who]
        if path == "/dang-xuat":
            assert r.status_code == 303, (who, path, r.status_code)
            continue
        assert r.status_code == want, (who, method, path, form, r.status_code, r.text[:300])


@pytest.mark.parametrize("who", WHO)
async def test_api_matrix(client, sessions, people, who):
    token = await api_token(sessions, *CHATS[who])
    headers = {"Authorization": f"Bearer {token}"}
    for method, path, expected in API:
        r = await client.request(method, path, headers=headers)
        assert r.status_code == expected[who], (who, path, r.status_code, r.text[:200])


@pytest.mark.parametrize("who", WHO)
async def test_certificate_pages_are_public(client, sessions, settings, people, who, tmp_path):
    settings.certificate_dir = tmp_path / "certificates"
    if who != "learner":
        await open_session(client, sessions, settings, *CHATS[who])
    code, token = people["certificate"]
    for path in (f"/verify/{code}", f"/chung-nhan/{token}.png", f"/chung-nhan/{token}.pdf"):
        assert (await client.get(path)).status_code == 200, (who, path)
    assert (await client.get("/verify/AAAAAAAAAAAAAAAA")).status_code == 404


@pytest.mark.parametrize("who", WHO)
async def test_public_routes_are_open(client, sessions, settings, people, who):
    await open_session(client, sessions, settings, *CHATS[who])
    for path in PUBLIC_ROUTES:
        r = await client.get(path)
        assert r.status_code == 200, (who, path, r.status_code)


async def test_without_login_pages_send_to_login_and_api_wants_a_token(client, people):
    r = await client.get("/quan-tri/chi-tieu")
    assert r.status_code == 303 and r.headers["location"] == "/dang-nhap"
    assert (await client.get("/api/targets")).status_code == 401
    bad = {"Authorization": "Bearer hocai_not-a-real-token"}
    assert (await client.get("/api/targets", headers=bad)).status_code == 401
    r = await client.post("/quan-tri/xuat-du-lieu/tai", data={"dinh_dang": "csv"})
    assert r.status_code == 401


async def test_forms_need_the_csrf_token(client, sessions, settings, people):
    csrf = await open_session(client, sessions, settings, *CHATS["admin"])
    for data in ({}, {"csrf": "wrong"}, {"csrf": csrf[:-1]}):
        r = await client.post("/quan-tri/xuat-du-lieu/tai", data={"dinh_dang": "csv", **data})
        assert r.status_code == 403
    r = await client.post(
        "/quan-tri/don-vi/nhap", files={"file": ("u.csv", UNITS_CSV.encode(), "text/csv")}
    )
    assert r.status_code == 403
    assert (await client.post("/dang-xuat", data={})).status_code == 403


async def test_staff_see_only_their_commune(client, sessions, settings, people):
    from bot import communes

    name_a = communes.by_code()[COMMUNE_A].name
    name_b = communes.by_code()[COMMUNE_B].name
    csrf = await open_session(client, sessions, settings, *CHATS["staff_a"])
    page = (await client.get("/quan-tri/xa-phuong")).text
    assert name_a in page and name_b not in page
    units = (await client.get("/quan-tri/don-vi")).text
    assert UNIT_A in units and UNIT_B not in units
    learners = (await client.get("/quan-tri/nguoi-hoc")).text
    assert name_b not in learners
    r = await client.post("/quan-tri/xuat-du-lieu/tai", data={"csrf": csrf, "dinh_dang": "csv"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1:]
    assert rows and {row[3] for row in rows} == {name_a}
    token = await api_token(sessions, *CHATS["staff_a"])
    report = (await client.get("/api/targets", headers={"Authorization": f"Bearer {token}"})).json()
    assert [c["code"] for c in report["communes"]] == [COMMUNE_A]
    assert report["total"]["learners"] == len(rows)


async def test_unit_staff_see_only_their_unit(client, sessions, settings, people):
    await add_role(sessions, "zalo", "400", unit_code=UNIT_A)
    csrf = await open_session(client, sessions, settings, "zalo", "400")
    assert (await client.get(f"/quan-tri/nguoi-hoc?xa={COMMUNE_A}")).status_code == 403
    r = await client.post("/quan-tri/xuat-du-lieu/tai", data={"csrf": csrf, "dinh_dang": "csv"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1:]
    assert {row[4] for row in rows} <= {"UBND phường Đức Xuân"}
    units = (await client.get("/quan-tri/don-vi")).text
    assert UNIT_A in units and f"DEMO-TH{COMMUNE_A}" not in units


async def test_removing_a_role_takes_effect_at_once(client, sessions, settings, people):
    from sqlalchemy import delete

    from storage.models import StaffRole

    await open_session(client, sessions, settings, *CHATS["staff_a"])
    assert (await client.get("/quan-tri")).status_code == 200
    async with sessions() as s, s.begin():
        await s.execute(delete(StaffRole).where(StaffRole.channel_user_id == "200"))
    assert (await client.get("/quan-tri")).status_code == 403


async def test_every_export_is_audited(client, sessions, settings, people):
    from sqlalchemy import select

    from storage.models import AuditLog

    csrf = await open_session(client, sessions, settings, *CHATS["staff_a"])
    r = await client.post("/quan-tri/xuat-du-lieu/tai", data={"csrf": csrf, "dinh_dang": "xlsx"})
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith('attachment; filename="tien-do-hoc-vien_')
    async with sessions() as s:
        entry = (
            await s.execute(select(AuditLog).where(AuditLog.action == "progress_exported"))
        ).scalar_one()
    assert entry.actor == "staff:zalo:200"
    assert entry.detail["filter"] == {"commune": COMMUNE_A}
    assert entry.detail["format"] == "xlsx" and entry.detail["rows"] >= 0


async def test_unanswered_questions_for_province_staff_with_numbers_masked(
    client, sessions, settings, people
):
    """«Câu hỏi chưa trả lời được»: province-wide staff and admins; by week, with examples."""
    from datetime import timedelta

    from storage.models import Learner, TutorAnswer
    from storage.types import utcnow

    await add_role(sessions, "zalo", "500")  # province scope: content staff
    now = utcnow()
    async with sessions() as s, s.begin():
        learner = Learner(channel="telegram", channel_user_id="4242")
        s.add(learner)
        await s.flush()
        rows = [
            ("gia vang hom nay bao nhieu", "unknown", "offline", None, now),
            ("so 0912345678 cua toi bi lo", "unknown", "offline", None, now),
            ("che bi benh gi", "choices", "offline", None, now - timedelta(days=8)),
            ("ma otp la gi", "glossary", "offline", -1, now - timedelta(days=8)),
            ("chatgpt la gi", "glossary", "offline", 1, now),  # answered, liked: not shown
            ("cach hack facebook", "hacking", "refused", None, now),  # a refusal: not shown
        ]
        for q, category, source, feedback, at in rows:
            s.add(
                TutorAnswer(
                    learner_id=learner.id,
                    question=q,
                    answer="…",
                    source=source,
                    category=category,
                    feedback=feedback,
                    created_at=at,
                )
            )
    await open_session(client, sessions, settings, "zalo", "500")
    r = await client.get("/quan-tri/cau-hoi")
    assert r.status_code == 200
    page = r.text
    assert "gia vang hom nay bao nhieu" in page and "che bi benh gi" in page
    assert "ma otp la gi" in page  # 👎
    assert "0912345678" not in page and "[số]" in page
    assert "chatgpt la gi" not in page and "cach hack facebook" not in page
    assert page.count("Tuần ") >= 2  # this week and last week
    assert 'href="/quan-tri/cau-hoi"' in page
    await open_session(client, sessions, settings, *CHATS["staff_a"])
    assert 'href="/quan-tri/cau-hoi"' not in (await client.get("/quan-tri")).text
