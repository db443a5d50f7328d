"""A learner on the Zalo OA: onboarding, a lesson and its quiz chosen with buttons (no
typing), within the platform's button limits; typed numbers still work."""

from sqlalchemy import select

from lessons.limits import QUIZ_DRAW
from storage.models import Learner
from tests.zalo_oa.oa import OALearner


async def test_onboarding_a_lesson_and_its_quiz_by_buttons(learner: OALearner, api, sessions):
    await learner.onboard()
    assert "Học ngay" in learner.titles
    await learner.tap("Học ngay")
    learner.expect("📚 Bài 1.1")
    while not any("Câu " in t and "\nA. " in t for t in learner.sent):
        await learner.tap("Tiếp" if any(t.startswith("Tiếp") for t in learner.titles) else "Làm")
    rights = 0
    for i in range(QUIZ_DRAW):
        assert [t for t, _ in learner.buttons] == ["A", "B", "C", "D"][: len(learner.buttons)]
        await learner.answer(right=i != 1)
        rights += "Đúng rồi" in learner.text
    assert rights == QUIZ_DRAW - 1
    # Every message went through: no button over 5, no title over 20 characters.
    assert api.refused() == []
    assert all(c.ok for c in api.calls), [c for c in api.calls if not c.ok]
    taps = [
        b
        for m in api.sent
        for b in ((m["message"].get("attachment") or {}).get("payload") or {}).get("buttons", [])
    ]
    assert taps and all(len(b["title"]) <= 20 for b in taps)
    async with sessions() as s:
        ln = (await s.execute(select(Learner))).scalar_one()
    assert ln.channel == "zalo_oa" and ln.last_active_at is not None


async def test_a_typed_number_or_label_still_chooses(learner: OALearner):
    await learner.say("Xin chào")
    await learner.say("dong y")  # the label typed, without diacritics
    # Group labels are longer than a button title: listed, numbered, buttons "1".."5".
    assert learner.titles == [str(i) for i in range(1, len(learner.titles) + 1)]
    number = next(n for label, n in learner.numbered.items() if label.startswith("Người dân"))
    await learner.say(number)
    learner.expect("xã")


async def test_a_forged_button_payload_changes_nothing(learner: OALearner):
    await learner.say("Xin chào")
    await learner.say("#hc:x:999:0:0")  # not offered: refused politely
    assert learner.sent and "Traceback" not in learner.text
    await learner.tap("Đồng ý")
    assert any(label.startswith("Người dân") for label in learner.numbered)
