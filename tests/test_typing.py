"""typing_while: "typing…" only for a slow reply, never in the reply's way."""

import asyncio

import pytest

from bot.channels.handling import typing_while


async def reply_after(seconds: float, text: str = "xong") -> str:
    await asyncio.sleep(seconds)
    return text


async def test_a_fast_reply_shows_no_typing():
    shown = []

    async def show():
        shown.append(True)

    assert await typing_while(reply_after(0.0), show, after=0.2) == "xong"
    assert shown == []


async def test_a_slow_reply_shows_typing_once_before_it_arrives():
    events = []

    async def show():
        events.append("typing")

    async def work():
        await asyncio.sleep(0.15)
        events.append("reply")
        return "xong"

    assert await typing_while(work(), show, after=0.05) == "xong"
    assert events == ["typing", "reply"]


async def test_a_failing_typing_call_does_not_lose_the_reply():
    async def show():
        raise RuntimeError("403: bot was blocked by the user")

    assert await typing_while(reply_after(0.1), show, after=0.01) == "xong"


async def test_an_error_in_the_work_reaches_the_caller():
    async def work():
        await asyncio.sleep(0.05)
        raise ValueError("boom")

    async def show():
        pass

    with pytest.raises(ValueError, match="boom"):
        await typing_while(work(), show, after=0.01)


async def test_cancelling_the_caller_stops_the_work():
    finished = []

    async def work():
        await asyncio.sleep(5)
        finished.append(True)

    async def show():
        pass

    caller = asyncio.create_task(typing_while(work(), show, after=0.01))
    await asyncio.sleep(0.05)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.sleep(0)
    assert finished == []
