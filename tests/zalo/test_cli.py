"""`hocai zalo set-webhook URL | delete-webhook | info` against the stand-in."""

import argparse
import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.channels.zalo import cli
from tests.zalo.conftest import SECRET, make_settings

URL = "https://hocai.example.vn/zalo/webhook"
ROOT = Path(__file__).resolve().parents[2]


def args(what: str, url: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(cmd="zalo", what=what, url=url)


async def test_set_webhook_generates_a_secret_when_none_is_configured(api, capsys):
    settings = make_settings(api, mode="polling", zalo_webhook_secret=None)
    assert await cli.main(args("set-webhook", URL), settings) == 0
    out = capsys.readouterr().out
    secret = api.webhook["secret_token"]
    assert api.webhook["url"] == URL and 8 <= len(secret) <= 256
    assert f"ZALO_WEBHOOK_SECRET={secret}" in out and "ZALO_MODE=webhook" in out
    assert ".env" in out


async def test_set_webhook_uses_the_configured_secret(api, capsys):
    assert await cli.main(args("set-webhook", URL), make_settings(api)) == 0
    assert api.webhook["secret_token"] == SECRET
    assert SECRET not in capsys.readouterr().out  # a configured secret is not echoed


@pytest.mark.parametrize("url", ["http://hocai.example.vn/zalo/webhook", "hocai.example.vn"])
async def test_set_webhook_wants_https(api, capsys, url):
    assert await cli.main(args("set-webhook", url), make_settings(api)) == 2
    assert "HTTPS" in capsys.readouterr().err and api.called("setWebhook") == []


async def test_set_webhook_refuses_a_secret_zalo_would_refuse(api, capsys):
    settings = make_settings(api, zalo_webhook_secret="short")
    assert await cli.main(args("set-webhook", URL), settings) == 2
    assert "8-256" in capsys.readouterr().err and api.called("setWebhook") == []


async def test_set_webhook_warns_about_another_path(api, capsys):
    other = "https://hocai.example.vn/hook"
    assert await cli.main(args("set-webhook", other), make_settings(api)) == 0
    assert "/zalo/webhook" in capsys.readouterr().err


async def test_info_and_delete_webhook(api, capsys):
    await cli.main(args("set-webhook", URL), make_settings(api))
    capsys.readouterr()
    assert await cli.main(args("info"), make_settings(api)) == 0
    out = capsys.readouterr().out
    assert "bot.HocAI" in out and URL in out and "UTC" in out
    assert await cli.main(args("delete-webhook"), make_settings(api)) == 0
    assert api.webhook["url"] == "" and "polling" in capsys.readouterr().out
    await cli.main(args("info"), make_settings(api))
    assert "(none: polling mode)" in capsys.readouterr().out


async def test_a_wrong_token_is_explained(api, capsys):
    settings = make_settings(api, zalo_bot_token="1:not-the-token")
    assert await cli.main(args("info"), settings) == 1
    assert "401 Unauthorized: ZALO_BOT_TOKEN" in capsys.readouterr().err


async def test_no_token(api, capsys):
    settings = make_settings(api, zalo_bot_token=None)
    assert await cli.main(args("info"), settings) == 2
    assert "ZALO_BOT_TOKEN is not set" in capsys.readouterr().err


async def test_the_hocai_command_reaches_it(api, tmp_path):
    """`hocai zalo set-webhook URL` as a person types it (bot/cli.py dispatches here)."""
    env = {
        **os.environ,
        "ZALO_BOT_TOKEN": api.token,
        "ZALO_API_BASE": api.url,
        "ZALO_WEBHOOK_SECRET": "",
        "PYTHONPATH": str(ROOT),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "zalo",
        "set-webhook",
        URL,
        cwd=tmp_path,  # no .env there
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert f"ZALO_WEBHOOK_SECRET={api.webhook['secret_token']}" in out.decode()
