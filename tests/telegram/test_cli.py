"""`hocai telegram set-webhook URL | delete-webhook | info` against the stand-in."""

import re

from bot.channels.telegram.cli import main
from bot.cli import build_parser
from tests.telegram.conftest import SECRET, make_settings


def args(*argv: str):
    return build_parser().parse_args(["telegram", *argv])


URL = "https://hocai.example.vn/telegram/webhook"


async def test_set_webhook_registers_the_configured_secret(api, capsys):
    assert await main(args("set-webhook", URL), make_settings(api)) == 0
    (call,) = api.called("setWebhook")
    assert call.params["url"] == URL and call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    out = capsys.readouterr().out
    assert "Webhook set" in out and SECRET not in out


async def test_set_webhook_without_a_secret_generates_one_and_says_where_to_put_it(api, capsys):
    settings = make_settings(api, telegram_webhook_secret=None)
    assert await main(args("set-webhook", URL), settings) == 0
    secret = api.webhook["secret_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret)
    out = capsys.readouterr().out
    assert f"TELEGRAM_WEBHOOK_SECRET={secret}" in out and ".env" in out


async def test_set_webhook_warns_about_another_path(api, capsys):
    assert await main(args("set-webhook", "https://x.vn/hook"), make_settings(api)) == 0
    assert "/telegram/webhook" in capsys.readouterr().err


async def test_delete_webhook_and_info(api, capsys):
    await main(args("set-webhook", URL), make_settings(api))
    assert await main(args("info"), make_settings(api)) == 0
    out = capsys.readouterr().out
    assert "@hocai_test_bot" in out and URL in out
    assert await main(args("delete-webhook"), make_settings(api)) == 0
    assert api.webhook["url"] == ""
    assert await main(args("info"), make_settings(api)) == 0
    assert "none: polling" in capsys.readouterr().out


async def test_errors_are_one_line_and_an_exit_code(api, capsys):
    api.fail("setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided")
    assert await main(args("set-webhook", URL), make_settings(api)) == 1
    assert "HTTPS url must be provided" in capsys.readouterr().err
    no_token = make_settings(api, telegram_bot_token=None)
    assert await main(args("info"), no_token) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err
