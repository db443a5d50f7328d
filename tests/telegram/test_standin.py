"""The Bot API stand-in refuses what Telegram refuses, whatever the body's encoding:
the other tests rely on it to catch what Telegram would not accept."""

import json

import httpx
import pytest

from tests.standins.telegram_api import TOKEN

KEYBOARD = {"inline_keyboard": [[{"text": "A", "callback_data": "a:m1-1:q1:0"}]]}


async def post(api, method: str, params: dict, encoding: str) -> httpx.Response:
    url = f"{api.url}/bot{TOKEN}/{method}"
    async with httpx.AsyncClient() as http:
        if encoding == "json":
            return await http.post(url, json=params)
        form = {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in params.items()}
        if encoding == "form":
            return await http.post(url, data=form)
        return await http.post(url, data=form, files={"unused": ("x.txt", b"x")})  # multipart


@pytest.mark.parametrize("encoding", ["json", "form", "multipart"])
async def test_limits_are_enforced_for_every_encoding(api, encoding):
    ok = await post(api, "sendMessage", {"chat_id": 5, "text": "x" * 4096}, encoding)
    assert ok.status_code == 200 and ok.json()["result"]["text"] == "x" * 4096
    cases = [
        {"chat_id": 5, "text": "x" * 4097},
        {"chat_id": 5, "text": ""},
        {"text": "no chat"},
        {"chat_id": 5, "text": "<b>unclosed", "parse_mode": "HTML"},
        {"chat_id": 5, "text": "a < b", "parse_mode": "HTML"},
        {
            "chat_id": 5,
            "text": "k",
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]},
        },
    ]
    for params in cases:
        response = await post(api, "sendMessage", params, encoding)
        assert response.status_code == 400, params
        assert response.json()["ok"] is False
    sent = await post(
        api, "sendMessage", {"chat_id": 5, "text": "k", "reply_markup": KEYBOARD}, encoding
    )
    assert sent.json()["result"]["reply_markup"] == KEYBOARD
    escaped = {"chat_id": 5, "text": "a &lt; <b>b</b> &amp;", "parse_mode": "HTML"}
    assert (await post(api, "sendMessage", escaped, encoding)).json()["result"]["text"] == "a < b &"


async def test_403_and_429_on_demand(api):
    api.block(6)
    blocked = await post(api, "sendChatAction", {"chat_id": 6, "action": "typing"}, "form")
    assert blocked.status_code == 403
    api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    first = await post(api, "sendMessage", {"chat_id": 5, "text": "a"}, "json")
    again = await post(api, "sendMessage", {"chat_id": 5, "text": "a"}, "json")
    assert first.status_code == again.status_code == 429  # until retry_after has passed
    assert first.json()["parameters"] == {"retry_after": 1}
