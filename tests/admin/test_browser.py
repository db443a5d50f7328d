"""The dashboard in a real headless Chromium (Debian's chromium driven by Playwright):
log in by link, open each page, download an export; screenshots in tests/artifacts/.

Needs /usr/bin/chromium (apt-get install chromium) and the playwright package (the
test extra). Without them the test is skipped, or fails when CI=true."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openpyxl
import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "admin"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PAGES = [
    ("/quan-tri", "Tổng quan"),
    ("/quan-tri/chi-tieu", "Chỉ tiêu của tỉnh theo nhóm"),
    ("/quan-tri/xa-phuong", "Xã, phường"),
    ("/quan-tri/don-vi", "Đơn vị"),
    ("/quan-tri/nguoi-hoc", "Người học"),
    ("/quan-tri/xuat-du-lieu", "Xuất tiến độ người học"),
]


def _need_browser():
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "the playwright package is not installed (pip install -e '.[test]')"
    if problem is None and not shutil.which(CHROMIUM):
        problem = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem} (CI=true: the browser test is required)")
        pytest.skip(problem)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hocai(env, *args) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture
def server(tmp_path):
    _need_browser()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hocai.db'}",
        "SECRET_KEY": "browser-test-secret",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "ADMIN_TELEGRAM_IDS": "900",
        "LOG_LEVEL": "WARNING",
    }
    _hocai(env, "demo", "seed", "--learners", "600")
    _hocai(env, "admin", "add", "--channel", "zalo", "--user-id", "77", "--commune", "1840")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "web"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base, env
    finally:
        proc.terminate()
        proc.wait(10)


def test_dashboard_in_chromium(server, tmp_path):
    from playwright.sync_api import sync_playwright

    base, env = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    admin_link = _hocai(env, "admin", "link", "--channel", "telegram", "--user-id", "900")
    staff_link = _hocai(env, "admin", "link", "--channel", "zalo", "--user-id", "77")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page.goto(admin_link)
            page.click("#login")
            page.wait_for_url(f"{base}/quan-tri")
            for path, heading in PAGES:
                page.goto(base + path)
                assert heading in page.inner_text("h1"), path
                name = path.strip("/").replace("/", "_") or "root"
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            # Sort the communes by proficiency: a click, a new order.
            page.goto(f"{base}/quan-tri/xa-phuong")
            page.click("text=% thành thạo")
            assert "sap=tt" in page.url
            # Download an XLSX and read it back.
            page.goto(f"{base}/quan-tri/xuat-du-lieu")
            page.select_option("select[name=dinh_dang]", "xlsx")
            with page.expect_download() as info:
                page.click("#export button[type=submit]")
            download = info.value
            assert download.suggested_filename.startswith("tien-do-hoc-vien_")
            target = tmp_path / download.suggested_filename
            download.save_as(target)
            wb = openpyxl.load_workbook(target, read_only=True)
            rows = list(wb["Tiến độ học"].iter_rows(values_only=True))
            assert len(rows) == 601 and rows[0][0] == "Mã người học"
            assert any("Nguyễn" in (r[1] or "") for r in rows[1:])
            wb.close()
            # The same on a phone.
            phone = browser.new_page(viewport={"width": 390, "height": 844})
            phone.context.add_cookies(page.context.cookies())
            phone.goto(f"{base}/quan-tri")
            phone.screenshot(path=str(ARTIFACTS / "phone_overview.png"), full_page=True)

            # A commune's staff member sees their commune only.
            staff = browser.new_context().new_page()
            staff.goto(staff_link)
            staff.click("#login")
            staff.wait_for_url(f"{base}/quan-tri")
            staff.goto(f"{base}/quan-tri/xa-phuong")
            assert staff.locator("#communes tbody tr").count() == 1
            assert "Đức Xuân" in staff.inner_text("#communes")
            staff.screenshot(path=str(ARTIFACTS / "staff_communes.png"), full_page=True)
            assert staff.goto(f"{base}/quan-tri/nguoi-hoc?xa=1843").status == 403
        finally:
            browser.close()
