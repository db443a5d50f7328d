"""Pooled Postgres connections that died (storage/db.py: no pre-ping): one the driver
knows is closed is dropped at checkout, and one that dies unnoticed costs the engine one
more try of its transaction, not a 503."""

import asyncio
import logging

from sqlalchemy import func, select

from bot.messages import Inbound
from storage.models import ProcessedUpdate


async def test_an_update_after_its_connection_was_reset_is_handled_at_once(
    faulty_tutor, proxy, direct
):
    first = await faulty_tutor.process(Inbound("telegram", "8001", text="/start", update_id="1"))
    assert first.replies
    accepted = proxy.accepted
    # Reset every pooled connection and handle the next update before the event loop
    # has read the resets: the connection looks alive until its first statement fails.
    proxy.reset_all()
    again = await faulty_tutor.process(Inbound("telegram", "8001", text="/tiendo", update_id="2"))
    assert again.replies
    assert proxy.accepted > accepted  # on a new connection
    async with direct() as s:
        assert (await s.execute(select(func.count()).select_from(ProcessedUpdate))).scalar() == 2


async def test_a_connection_known_closed_is_dropped_before_use(faulty_tutor, proxy, caplog):
    assert (
        await faulty_tutor.process(Inbound("telegram", "8002", text="/start", update_id="3"))
    ).replies
    proxy.reset_all()
    await asyncio.sleep(0.2)  # the event loop reads the resets: asyncpg marks them closed
    caplog.set_level(logging.INFO, logger="hocai.engine")
    handled = await faulty_tutor.process(Inbound("telegram", "8002", text="/tiendo", update_id="4"))
    assert handled.replies
    assert "transaction run again" not in caplog.text  # no statement met a dead connection
