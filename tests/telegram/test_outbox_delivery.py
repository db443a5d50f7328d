"""Outbox delivery's own sendMessage client (bot/channels/telegram/delivery.py) against the
Bot API stand-in: each outcome the dispatcher acts on, and a message that arrives exactly
as aiogram would have sent it."""

import asyncio
import contextlib

import pytest
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import SendMessage

from bot.channels.base import Delivery
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.delivery import TelegramDelivery
from bot.channels.telegram.render import render
from bot.channels.telegram.service import TelegramService
from bot.messages import Choice, Outbound
from tests.standins.telegram_api import TOKEN, TelegramStandIn
from tests.telegram.conftest import make_settings

TEXT = "📢 Lớp học AI tối nay lúc 19:30 (hội trường UBND phường)."
QUIZ = Outbound(
    "Câu 1/5: Câu lệnh (prompt) là gì?",
    (
        Choice("A", "a:m1-1:q1:0"),
        Choice("B", "a:m1-1:q1:1"),
        Choice("C", "a:m1-1:q1:2"),
        Choice("Xem lại bài", "l:m1-1"),
    ),
    kind="quiz",
)
MENU = Outbound(
    "Chọn việc bạn muốn làm:",
    (Choice("📚 Học tiếp bài đang dở", "go"), Choice("Tiến độ", "p"), Choice("Hỏi", "ask")),
)


@pytest.fixture
async def delivery(api):
    sender = TelegramDelivery(TOKEN, api.url)
    yield sender
    await sender.close()


async def test_sent_as_one_json_post_per_message(api, delivery):
    result = await delivery.deliver("7001", [Outbound(TEXT), Outbound("Hẹn gặp bạn!")])
    assert result == Delivery("sent")
    calls = api.called("sendMessage", chat_id=7001)
    assert [c.params for c in calls] == [
        {"chat_id": 7001, "text": TEXT},
        {"chat_id": 7001, "text": "Hẹn gặp bạn!"},
    ]
    assert {c.content_type for c in calls} == {"application/json"}
    assert [m["text"] for m in api.chat(7001)] == [TEXT, "Hẹn gặp bạn!"]


async def test_one_session_is_kept_and_closed(api, delivery):
    for chat in (7001, 7002, 7003):
        assert (await delivery.deliver(str(chat), [Outbound(TEXT)])).status == "sent"
    session = delivery._session
    assert session is not None and not session.closed
    assert await delivery.deliver("7004", [Outbound(TEXT)]) == Delivery("sent")
    assert delivery._session is session  # reused, not one per call
    await delivery.close()
    assert session.closed
    assert await delivery.deliver("7005", [Outbound(TEXT)]) == Delivery("sent")  # opens again


async def test_buttons_arrive_as_aiogram_would_send_them(api):
    """The same Outbound through aiogram (as the reply path sends it) and through the
    outbox client: the stand-in records the same fields, text and reply_markup."""
    long_text = "\n\n".join(f"Đoạn {i}: " + "chữ " * 300 for i in range(5))  # > 4,096
    messages = [QUIZ, MENU, Outbound(long_text, MENU.choices)]
    bot = make_bot(make_settings(api, mode="polling"))
    try:
        for message in messages:
            for chunk in render(message):
                await bot(SendMessage(chat_id=8001, text=chunk.text, reply_markup=chunk.markup))
    finally:
        await bot.session.close()
    sender = TelegramDelivery(TOKEN, api.url)
    try:
        assert await sender.deliver("8002", messages) == Delivery("sent")
    finally:
        await sender.close()

    by_aiogram = api.called("sendMessage", chat_id=8001, ok=True)
    by_outbox = api.called("sendMessage", chat_id=8002, ok=True)
    assert len(by_aiogram) == len(by_outbox) >= 4  # the long text is two messages or more
    for a, b in zip(by_aiogram, by_outbox, strict=True):
        assert {**a.params, "chat_id": 8002} == b.params
    assert by_aiogram[0].content_type != "application/json"  # aiogram posts a form
    assert by_outbox[0].params["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "A", "callback_data": "a:m1-1:q1:0"},
                {"text": "B", "callback_data": "a:m1-1:q1:1"},
            ],
            [
                {"text": "C", "callback_data": "a:m1-1:q1:2"},
                {"text": "Xem lại bài", "callback_data": "l:m1-1"},
            ],
        ]
    }
    assert "reply_markup" not in by_outbox[-2].params  # buttons under the last chunk only
    assert [m.get("reply_markup") for m in api.chat(8001)] == [
        m.get("reply_markup") for m in api.chat(8002)
    ]


async def test_429_hands_back_retry_after(api, delivery):
    api.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    result = await delivery.deliver("7001", [Outbound(TEXT)])
    assert result == Delivery("retry", retry_after=7.0, error="429")


async def test_403_is_blocked(api, delivery):
    api.block(7002)
    result = await delivery.deliver("7002", [Outbound(TEXT)])
    assert result == Delivery("blocked", error="Forbidden: bot was blocked by the user")


async def test_400_is_rejected(api, delivery):
    api.fail("sendMessage", 400, "Bad Request: chat not found", chat_id=7003)
    result = await delivery.deliver("7003", [Outbound(TEXT)])
    assert result == Delivery("rejected", error="Bad Request: chat not found")


async def test_the_first_failure_stops_the_rest(api, delivery):
    api.fail("sendMessage", 400, "Bad Request: message text is empty", times=1)
    result = await delivery.deliver("7004", [Outbound("một"), Outbound("hai")])
    assert result.status == "rejected"
    assert len(api.called("sendMessage", chat_id=7004)) == 1


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_fail_for_a_retry_later(api, delivery, status):
    api.fail("sendMessage", status, "Internal Server Error")
    result = await delivery.deliver("7005", [Outbound(TEXT)])
    assert result.status == "failed" and result.error.startswith(str(status))


async def test_unauthorized_fails_and_is_logged_without_the_token(api, caplog):
    sender = TelegramDelivery("123:wrong-token", api.url)
    try:
        result = await sender.deliver("7006", [Outbound(TEXT)])
    finally:
        await sender.close()
    assert result.status == "failed" and result.error.startswith("401")
    assert "sendMessage answered 401" in caplog.text
    assert "wrong-token" not in caplog.text + result.error


async def test_a_dropped_connection_fails(api, delivery):
    api.fail("sendMessage", None)  # the stand-in closes the connection, no answer
    result = await delivery.deliver("7007", [Outbound(TEXT)])
    assert result.status == "failed" and result.error.startswith("network")
    assert await delivery.deliver("7007", [Outbound(TEXT)]) == Delivery("sent")  # recovers


async def test_a_stopped_server_fails():
    api = TelegramStandIn()
    await api.start()
    sender = TelegramDelivery(TOKEN, api.url)
    try:
        assert await sender.deliver("7008", [Outbound(TEXT)]) == Delivery("sent")
        await api.stop()  # the port is closed now, the kept connection too
        first = await sender.deliver("7008", [Outbound(TEXT)])
        second = await sender.deliver("7008", [Outbound(TEXT)])
    finally:
        await sender.close()
    assert first.status == second.status == "failed"
    assert second.error.startswith("network") and TOKEN not in second.error


@contextlib.asynccontextmanager
async def raw_server(answer: bytes | None):
    """A TCP server on loopback that reads a request and answers `answer` as is
    (None: never answers)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if answer is None:
            await asyncio.sleep(3600)
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 1)


async def test_a_silent_server_times_out():
    async with raw_server(None) as url:
        sender = TelegramDelivery(TOKEN, url, timeout=0.3)
        try:
            result = await asyncio.wait_for(sender.deliver("7009", [Outbound(TEXT)]), 5)
        finally:
            await sender.close()
    assert result == Delivery("failed", error="timeout")


async def test_an_answer_that_is_not_json_fails():
    page = b"<html><body>502 Bad Gateway</body></html>"
    answer = (
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(page), page)
    )
    async with raw_server(answer) as url:
        sender = TelegramDelivery(TOKEN, url)
        try:
            result = await sender.deliver("7010", [Outbound(TEXT)])
        finally:
            await sender.close()
    assert result == Delivery("failed", error="502 not JSON")


def test_the_url_is_the_one_aiogram_uses():
    for base in ("https://api.telegram.org", "http://127.0.0.1:8081/", "https://tg.example/x"):
        expected = TelegramAPIServer.from_base(base).api_url(token=TOKEN, method="sendMessage")
        assert str(TelegramDelivery(TOKEN, base).url) == expected


async def test_the_service_delivers_with_it_and_closes_it_on_stop(api, tutor):
    service = TelegramService(make_settings(api, mode="polling"), tutor)
    assert await service.deliver("7011", [MENU]) == Delivery("sent")
    session = service.delivery._session
    await service.stop()
    assert session is not None and session.closed
    [call] = api.called("sendMessage", chat_id=7011)
    assert call.content_type == "application/json"
