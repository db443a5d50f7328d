"""The public verify page and files; the admin page: list, search, revoke, re-issue."""

import io

import httpx
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from bot.certificates import service
from bot.web import certificates as web_certs
from bot.web.app import create_app
from storage.models import AuditLog, Certificate, Learner, LearnerStatus, StaffRole
from storage.types import utcnow
from tests.admin.conftest import open_session

COMMUNE_A, COMMUNE_B = 1840, 1843


@pytest.fixture
async def app(sessions, catalog, settings):
    app = create_app([], sessions=sessions, catalog=catalog, settings=settings)
    app.state.admin.reports.ttl = 0
    return app


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def cert(sessions):
    async with sessions() as s, s.begin():
        learner = Learner(
            channel="telegram",
            channel_user_id="42",
            status=LearnerStatus.active,
            commune_code=COMMUNE_A,
            group_code="cb",
        )
        s.add(learner)
        await s.flush()
        now = utcnow()
        c = await service.issue(
            s,
            learner_id=learner.id,
            name="Nguyễn Văn An",
            full_name_public=False,
            track="cb",
            score=14,
            total=15,
            passed_at=now,
            now=now,
        )
    return c


async def test_verify_shows_valid_then_revoked_and_unknown_is_404(client, cert, sessions, settings):
    r = await client.get(f"/verify/{cert.code}")
    assert r.status_code == 200
    assert "Giấy chứng nhận hợp lệ" in r.text and "N. V. An" in r.text
    assert "Nguyễn Văn An" not in r.text and "14/15" in r.text
    assert "Cán bộ, công chức, viên chức" in r.text and 'name="viewport"' in r.text
    grouped = "-".join(cert.code[i : i + 4] for i in range(0, 16, 4)).lower()
    assert (await client.get(f"/verify/{grouped}")).status_code == 200  # as typed from paper

    png = await client.get(f"/chung-nhan/{cert.file_token}.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    decoded = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))]
    assert decoded == [f"http://testserver/verify/{cert.code}"]
    pdf = await client.get(f"/chung-nhan/{cert.file_token}.pdf")
    assert pdf.content.startswith(b"%PDF")

    unknown = await client.get("/verify/AAAAAAAAAAAAAAAA")
    assert unknown.status_code == 404 and "Không tìm thấy giấy chứng nhận" in unknown.text
    assert (await client.get("/chung-nhan/not-a-token.png")).status_code == 404

    csrf = await open_session(client, sessions, settings, "telegram", "900")  # admin
    r = await client.post(f"/quan-tri/chung-nhan/{cert.id}/thu-hoi", data={"csrf": csrf})
    assert r.status_code == 200 and f"Đã thu hồi giấy chứng nhận số {cert.number}" in r.text
    r = await client.get(f"/verify/{cert.code}")
    assert r.status_code == 200 and "không còn hiệu lực" in r.text and "N. V. An" not in r.text
    assert (await client.get(f"/chung-nhan/{cert.file_token}.png")).status_code == 404
    async with sessions() as s:
        audit = await s.scalar(select(AuditLog).where(AuditLog.action == "certificate_revoked"))
    assert audit.actor == "admin:telegram:900" and audit.detail == {"number": cert.number}


async def test_full_name_when_allowed_and_reissue_after_a_name_correction(
    client, cert, sessions, settings
):
    async with sessions() as s, s.begin():
        (await s.get(Certificate, cert.id)).full_name_public = True
    assert "Nguyễn Văn An" in (await client.get(f"/verify/{cert.code}")).text

    csrf = await open_session(client, sessions, settings, "telegram", "900")
    r = await client.get("/quan-tri/chung-nhan?q=nguyễn")
    assert r.status_code == 200 and cert.number in r.text
    assert cert.number not in (await client.get("/quan-tri/chung-nhan?q=không-có")).text
    r = await client.post(
        f"/quan-tri/chung-nhan/{cert.id}/cap-lai", data={"csrf": csrf, "ten": "nguyễn văn ân"}
    )
    assert r.status_code == 200 and "Đã cấp lại" in r.text
    async with sessions() as s:
        rows = (await s.execute(select(Certificate).order_by(Certificate.id))).scalars().all()
    old, new = rows
    assert (old.revoked_reason, new.name, new.score, new.revoked_at) == (
        "reissued",
        "Nguyễn Văn Ân",
        14,
        None,
    )
    assert new.code != old.code and new.full_name_public
    assert "không còn hiệu lực" in (await client.get(f"/verify/{old.code}")).text
    assert "Nguyễn Văn Ân" in (await client.get(f"/verify/{new.code}")).text
    r = await client.post(
        f"/quan-tri/chung-nhan/{old.id}/cap-lai", data={"csrf": csrf, "ten": "A B"}
    )
    assert r.status_code == 400  # a revoked one is not re-issued again
    r = await client.post(
        f"/quan-tri/chung-nhan/{new.id}/cap-lai", data={"csrf": csrf, "ten": "X1"}
    )
    assert r.status_code == 400


async def test_staff_see_their_scope_only_and_cannot_revoke(client, cert, sessions, settings):
    async with sessions() as s, s.begin():
        for uid, commune in (("200", COMMUNE_A), ("300", COMMUNE_B)):
            s.add(
                StaffRole(
                    channel="zalo",
                    channel_user_id=uid,
                    role="staff",
                    scope="commune",
                    commune_code=commune,
                )
            )
    csrf = await open_session(client, sessions, settings, "zalo", "200")
    assert cert.number in (await client.get("/quan-tri/chung-nhan")).text
    targets = await client.get("/quan-tri/chi-tieu")
    assert "Giấy chứng nhận còn hiệu lực: 1" in targets.text
    r = await client.post(f"/quan-tri/chung-nhan/{cert.id}/thu-hoi", data={"csrf": csrf})
    assert r.status_code == 403
    await open_session(client, sessions, settings, "zalo", "300")
    assert cert.number not in (await client.get("/quan-tri/chung-nhan")).text
    assert "Giấy chứng nhận còn hiệu lực: 0" in (await client.get("/quan-tri/chi-tieu")).text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_verify_page_is_rate_limited(app, client, cert):
    app.state.certificate_limiter = web_certs.RateLimiter(limit=3)
    codes = [(await client.get(f"/verify/{cert.code}")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "thử lại sau" in (await client.get("/verify/AAAAAAAAAAAAAAAA")).text


def test_the_limiter_window_slides():
    lim = web_certs.RateLimiter(limit=2, window=60)
    assert [lim.allow("a", t) for t in (0, 1, 2)] == [True, True, False]
    assert lim.allow("b", 2) and lim.allow("a", 61)


def test_names_and_codes():
    assert service.initialled("Nguyễn Văn An") == "N. V. An"
    assert service.initialled("Đỗ Thị Thu Hà") == "Đ. T. T. Hà"
    assert service.clean_name("  ĐỖ  thị  hà ") == "Đỗ Thị Hà"
    assert service.clean_name("Lan") is None and service.clean_name("Lan 2") is None
    assert service.clean_name("- -") is None and service.clean_name("王 小明") is None
    assert service.clean_name("Nguye\u0302\u0303n An") == "Nguyễn An"  # decomposed input
    assert service.clean_name("x" * 30 + " " + "y" * 30) is None
    code = service.new_code()
    assert len(code) == 16 and service.normal_code(code.lower()) == code


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_cli_lists_revokes_and_reissues(cert, settings, capsys):
    # The command's own code, not bot.cli.main (which configures the process's logging).
    import argparse

    from bot.admin.cli import _db
    from bot.certificates import cli

    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="cmd"))

    async def run(*argv: str) -> int:
        return await cli.run(parser.parse_args(["certificates", *argv]), settings, _db)

    assert await run("list", "--search", "văn") == 0
    assert f"{cert.number}\tvalid\tNguyễn Văn An" in capsys.readouterr().out
    assert await run("reissue", cert.number, "--name", "Nguyễn Văn Ân") == 0
    assert "re-issued as" in capsys.readouterr().out
    assert await run("revoke", cert.number) == 1  # already revoked by the re-issue
    assert await run("revoke", "no-such-number") == 2


async def test_the_export_has_the_certificate_number(client, cert, sessions, settings):
    csrf = await open_session(client, sessions, settings, "telegram", "900")
    r = await client.post("/quan-tri/xuat-du-lieu/tai", data={"csrf": csrf, "dinh_dang": "csv"})
    header, row = r.content.decode("utf-8-sig").splitlines()[:2]
    assert header.split(",")[-1] == "Số giấy chứng nhận"
    assert row.split(",")[-1] == cert.number
