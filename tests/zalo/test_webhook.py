"""Webhook mode end to end: event JSON posted to the FastAPI app, replies read from what
the Zalo Bot API stand-in received."""

from sqlalchemy import select

from bot.channels.zalo import texts
from storage.models import Learner, ProcessedUpdate
from tests.standins.zalo_api import event
from tests.zalo.conftest import SECRET
from tests.zalo.zl import SECRET_HEADER, ZaloLearner, webhook_delivery


async def test_the_flat_event_shape_is_accepted_too(api, client, catalog):
    learner = ZaloLearner(api, webhook_delivery(client, SECRET, wrapped=False), catalog)
    await learner.say("/start")
    learner.expect("Mình là trợ lý học AI tự động")


async def test_without_the_right_secret_nothing_is_processed(api, client, sessions):
    body = {"ok": True, "result": event("c1", text="/start")}
    for headers in ({}, {SECRET_HEADER: "wrong-secret-0000"}, {SECRET_HEADER: SECRET[:-1]}):
        response = await client.post("/zalo/webhook", json=body, headers=headers)
        assert response.status_code == 401
    assert api.called("sendMessage") == [] and api.called("sendChatAction") == []
    async with sessions() as s:
        assert (await s.execute(select(Learner))).first() is None
        assert (await s.execute(select(ProcessedUpdate))).first() is None


async def test_a_body_that_is_not_json_is_refused(client):
    headers = {SECRET_HEADER: SECRET, "content-type": "application/json"}
    response = await client.post("/zalo/webhook", content=b"{not json", headers=headers)
    assert response.status_code == 400


async def test_the_same_message_twice_gets_one_reply(learner, api):
    await learner.say("/start", msg_id="dup-0001")
    first = len(api.called("sendMessage"))
    assert first == 2  # greeting, consent
    await learner.say("/start", msg_id="dup-0001")  # Zalo redelivers
    assert learner.sent == [] and len(api.called("sendMessage")) == first


async def test_a_sticker_an_image_and_an_unsupported_message_get_a_friendly_reply(learner, api):
    await learner.onboard()
    await learner.sticker()
    assert learner.sent == [texts.STICKER]
    await learner.image()
    assert learner.sent == [texts.IMAGE]
    mid = await learner.unsupported()
    assert learner.sent == [texts.UNSUPPORTED]
    for word in ("ảnh", "sticker", "hình", "video", "tệp"):  # never assume what it was
        assert word not in texts.UNSUPPORTED.lower()
    await learner.send(learner.event("message.unsupported.received", msg_id=mid))
    assert learner.sent == []  # redelivered: answered once
    # The learner's place is kept: the last numbers still work.
    await learner.choose("Học ngay")
    learner.expect("📚 Bài 1.1")


async def test_a_group_chat_gets_one_note_and_is_not_a_learner(api, client, sessions):
    for text in ("/start", "1"):
        flat = event("group-77", text=text, chat_type="GROUP", from_id="u-5")
        headers = {SECRET_HEADER: SECRET}
        response = await client.post("/zalo/webhook", json=flat, headers=headers)
        assert response.status_code == 200
    assert api.texts("group-77") == [texts.GROUP_NOTE]
    async with sessions() as s:
        assert (await s.execute(select(Learner))).first() is None


async def test_healthz_reports_the_channel(client):
    response = await client.get("/healthz")
    assert response.json() == {"status": "ok", "channels": {"zalo": True}}
