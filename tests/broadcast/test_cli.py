"""`hocai staff add|remove|list` in a real process, on a SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def hocai(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_staff_add_list_remove(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hocai.db'}",
        "LOG_LEVEL": "WARNING",
    }
    unit = hocai(env, "units", "add", "--code", "ubnd-dx", "--name", "UBND", "--commune", "1840")
    assert unit.returncode == 0, unit.stderr
    chat = ["--channel", "telegram", "--user-id"]
    out = hocai(env, "staff", "add", *chat, "111", "--scope", "commune:1840", "--name", "Chị Hoa")
    assert out.returncode == 0 and "telegram:111 is now staff (commune 1840)" in out.stdout
    out = hocai(
        env, "staff", "add", "--channel", "zalo", "--user-id", "222", "--scope", "unit:ubnd-dx"
    )
    assert out.returncode == 0 and "(unit UBND-DX)" in out.stdout
    out = hocai(env, "staff", "add", *chat, "333", "--scope", "commune:9999")
    assert out.returncode == 2 and "no commune with code 9999" in out.stderr
    out = hocai(env, "staff", "add", *chat, "333", "--scope", "huyen:1")
    assert out.returncode == 2 and "scope must be province, commune:CODE or unit:CODE" in out.stderr
    listed = hocai(env, "staff", "list").stdout
    assert "telegram:111" in listed and "Phường Đức Xuân" in listed and "Chị Hoa" in listed
    assert "zalo:222" in listed and "đơn vị UBND-DX" in listed
    assert hocai(env, "staff", "remove", *chat, "111").stdout.strip() == "removed"
    assert "telegram:111" not in hocai(env, "staff", "list").stdout
    assert hocai(env, "staff", "remove", *chat, "111").returncode == 1
