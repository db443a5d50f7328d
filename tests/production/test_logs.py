"""The logs of a whole conversation (serve and worker, at DEBUG, JSON): one JSON object a
line; the learner appears only as their pseudonymous pid, never with their name, chat id
or what they wrote; no token or secret is printed."""

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update

from bot import logs, metrics
from bot.config import Settings
from storage.models import Learner
from tests.production.cluster import SECRET, json_lines, wait_until, webhook_post
from tests.standins.telegram_api import TOKEN
from tests.telegram.tg import TgChat

CHAT = 7733991
FIRST, LAST = "Lường Thị", "Xuyến"
QUESTION = "Nhà tôi trồng chè ở xóm Đồng Bẩm, AI giúp gì cho vụ chè xuân được không?"


async def test_a_conversation_leaves_no_personal_data_in_the_logs(
    empty_pg, pg_sessions, api, cluster_factory, catalog
):
    cluster = cluster_factory(empty_pg, LOG_LEVEL="DEBUG")
    serve = cluster.start("serve", "serve")
    worker = cluster.start("worker", "worker")
    await cluster.ready(serve, worker)

    async with httpx.AsyncClient(timeout=30) as http:

        async def deliver(update: dict) -> None:
            assert (await webhook_post(http, serve, update)).status_code == 200

        learner = TgChat(api, deliver, catalog, chat_id=CHAT, first_name=FIRST, last_name=LAST)
        await learner.onboard()
        await learner.say("/hoi")
        await learner.say(QUESTION)
        assert learner.sent  # answered
        await learner.say("Tôi là Xuyến, số điện thoại 0912345678")
        api.fail("sendMessage", 502, "Bad Gateway", chat_id=CHAT)  # a retried send
        await learner.say("/tiendo")
        bad = await http.post(
            f"{serve.url}/telegram/webhook",
            content=b"not json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert bad.status_code == 400
        assert (await http.post(f"{serve.url}/telegram/webhook", json={})).status_code == 401

        # A reminder through the worker, then the learner blocks the bot.
        async with pg_sessions() as s, s.begin():
            await s.execute(
                update(Learner)
                .where(Learner.channel_user_id == str(CHAT))
                .values(
                    reminder_time="20:00",
                    next_reminder_at=datetime.now(UTC) - timedelta(minutes=1),
                )
            )
        await wait_until(
            lambda: any(
                c.params.get("text", "").startswith("🔔") for c in api.called("sendMessage", CHAT)
            ),
            "the reminder",
        )
        api.block(CHAT)
        await learner.say("/menu")  # 403: marked unreachable

    async with pg_sessions() as s:
        person = (await s.execute(select(Learner))).scalar_one()
    assert person.display_name == f"{FIRST} {LAST}"  # stored (after consent), not logged

    records = json_lines(serve) + json_lines(worker)
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    assert len(records) > 20
    for secret_or_personal in (
        FIRST,
        LAST,
        str(CHAT),
        "0912345678",
        QUESTION[:30],
        "Đồng Bẩm",
        TOKEN,
        TOKEN.split(":")[1],
        SECRET,
    ):
        assert secret_or_personal not in text, secret_or_personal
    handled = [r["msg"] for r in records if r["msg"].startswith("handled ")]
    assert handled and all(f"learner={person.pid}" in m for m in handled)
    assert any("sendMessage" in r["msg"] and r["level"] == "warning" for r in records)
    assert any(r["msg"] == "webhook: bad body (not JSON)" for r in records)


def test_json_lines_mask_secrets_and_carry_extras():
    settings = Settings(
        _env_file=None,
        telegram_bot_token="123:ABCDEFsecretpart",
        database_url="postgresql+asyncpg://hocai:db-pass-word@db/hocai",
        log_format="json",
    )
    stream = io.StringIO()
    names = ["", *logs.QUIET, *logs.SQL_LOGGERS]
    levels = {name: logging.getLogger(name).level for name in names}
    fmt = logs.setup(settings, "serve", stream=stream)
    try:
        assert fmt == "json"
        log = logging.getLogger("hocai.test")
        log.warning("url /bot999:XYZ-abc_123/sendMessage token 123:ABCDEFsecretpart")
        log.info("connect %s", "postgresql://hocai:db-pass-word@db", extra={"pid": "ab12"})
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            log.exception("failed")
    finally:  # leave the test process's logging as it was
        root = logging.getLogger()
        for h in [h for h in root.handlers if getattr(h, "_hocai", False)]:
            root.removeHandler(h)
        for h in [h for h in root.handlers if isinstance(h, metrics.ErrorCounter)]:
            root.removeHandler(h)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3  # one line per event, the traceback inside its JSON string
    first, second, third = (json.loads(line) for line in lines)
    assert first["msg"] == "url /bot***/sendMessage token ***"
    assert first["level"] == "warning" and first["logger"] == "hocai.test"
    assert second["msg"] == "connect postgresql://hocai:***@db" and second["pid"] == "ab12"
    assert "ValueError: boom" in third["exc"]


def test_the_format_follows_the_command_and_the_terminal():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert logs.choose_format("auto", "serve", io.StringIO()) == "json"
    assert logs.choose_format("auto", "worker", Tty()) == "text"
    assert logs.choose_format("auto", "lessons", io.StringIO()) == "text"
    assert logs.choose_format("json", "chat", io.StringIO()) == "text"
    assert logs.choose_format("text", "run", io.StringIO()) == "text"
