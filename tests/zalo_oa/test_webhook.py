"""The OA webhook: Zalo's signature (SHA-256 of app id + body + timestamp + OA secret
key) is required, stale events are refused, each kind of event gets its answer."""

import json

from sqlalchemy import select

from bot.channels.zalo_oa.webhook import signature
from storage.models import Learner, LearnerStatus
from tests.standins.zalo_oa_api import APP_ID, OA_SECRET_KEY
from tests.zalo_oa.oa import OALearner

PATH = "/zalo-oa/webhook"


def test_the_signature_is_the_published_formula():
    import hashlib

    body = '{"event_name":"user_send_text"}'
    expected = hashlib.sha256(f"{APP_ID}{body}1700000000000{OA_SECRET_KEY}".encode()).hexdigest()
    assert signature(APP_ID, body, "1700000000000", OA_SECRET_KEY) == expected


async def test_a_wrong_or_missing_signature_is_refused_and_nothing_happens(api, client, sessions):
    body = api.event("user_send_text", "u-1", text="Xin chào")
    raw, headers = api.signed(body, secret="not-the-oa-secret-key")
    assert (await client.post(PATH, content=raw, headers=headers)).status_code == 401
    assert (await client.post(PATH, content=raw)).status_code == 401
    raw, headers = api.signed(body)
    tampered = raw.replace("Xin chào", "Xin chao")
    assert (await client.post(PATH, content=tampered, headers=headers)).status_code == 401
    assert api.sent == []
    async with sessions() as s:
        assert (await s.execute(select(Learner))).first() is None


async def test_stale_and_future_events_are_refused(api, client):
    for shift in (-25 * 3600, 10 * 60):
        body = api.event("user_send_text", "u-1", text="Xin chào")
        body["timestamp"] = str(int(body["timestamp"]) + shift * 1000)
        raw, headers = api.signed(body)
        assert (await client.post(PATH, content=raw, headers=headers)).status_code == 400
    assert api.sent == []


async def test_a_redelivered_event_is_answered_once(api, client, learner: OALearner):
    body = api.event("user_send_text", learner.user_id, text="Xin chào")
    raw, headers = api.signed(body)
    api.interact(learner.user_id)
    assert (await client.post(PATH, content=raw, headers=headers)).status_code == 200
    first = len(api.to(learner.user_id))
    assert first >= 1
    assert (await client.post(PATH, content=raw, headers=headers)).status_code == 200
    assert len(api.to(learner.user_id)) == first


async def test_an_image_is_answered_politely_and_anonymous_messages_are_ignored(
    api, learner: OALearner
):
    await learner.event(
        "user_send_image",
        attachments=[{"type": "image", "payload": {"url": "https://z.test/p.jpg"}}],
    )
    learner.expect("ảnh", "chữ")
    await learner.event("user_send_sticker")
    learner.expect("chưa đọc được")
    before = len(api.sent)
    anonymous = api.event("anonymous_send_text", "anon-1", text="hello")
    assert (await api.post(learner.client, anonymous)).status_code == 200
    assert len(api.sent) == before


async def test_follow_starts_onboarding_and_unfollow_marks_unreachable(
    api, learner: OALearner, sessions
):
    await learner.event("follow")
    assert "Đồng ý" in learner.titles
    await learner.event("unfollow")
    async with sessions() as s:
        ln = (await s.execute(select(Learner))).scalar_one()
    assert ln.status == LearnerStatus.unreachable
    await learner.event("follow")  # back: reachable again
    async with sessions() as s:
        ln = (await s.execute(select(Learner))).scalar_one()
    assert ln.status != LearnerStatus.unreachable


async def test_a_body_that_is_not_json_or_names_no_event(api, client):
    raw = "not json"
    assert (await client.post(PATH, content=raw)).status_code == 401
    body = {"timestamp": api.event("follow", "u")["timestamp"]}
    raw, headers = api.signed(body)
    assert (await client.post(PATH, content=raw, headers=headers)).status_code == 200
    assert api.sent == [] and json.loads(raw)


async def test_bad_bodies_are_refused_with_400_without_a_traceback(api, client, caplog):
    from bot.channels.base import MAX_BODY_BYTES
    from tests.standins.zalo_oa_api import APP_ID

    huge = '{"event_name": "user_send_text", "x": "' + "a" * (MAX_BODY_BYTES + 10) + '"}'
    assert (await client.post(PATH, content=huge)).status_code == 400  # before the signature
    assert (await client.post(PATH, content=b'{"text": "\xff\xfe"}')).status_code == 400
    deep = '{"event_name": "user_send_text", "x": ' + "[" * 3000 + "]" * 3000 + "}"
    assert (await client.post(PATH, content=deep)).status_code == 401  # unsigned: not read
    mac = signature(APP_ID, deep, "", OA_SECRET_KEY)  # signed, but no readable timestamp
    headers = {"X-ZEvent-Signature": f"mac={mac}"}
    assert (await client.post(PATH, content=deep, headers=headers)).status_code == 400
    assert api.sent == []
    assert not any(r.exc_info for r in caplog.records)
