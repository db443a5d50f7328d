"""Every button of every flow fits Telegram: a learner explores the whole tutor, pressing
each button once, typing commands and free text when no button is new."""

import logging
import random

from bot import actions as A
from bot.channels.telegram.constants import MAX_CALLBACK_DATA_BYTES
from tests.telegram.tg import TgChat

MAX_STEPS = 2000
DONE_AFTER = 60  # steps without a new button: the walk has seen everything
LAST = {A.DELETE_YES, A.CONSENT_NO}  # these delete the learner: pressed when nothing is left
COMMANDS = ["/start", "/hoc", "/tiendo", "/hoi", "/nhac", "/dulieu", "/trogiup", "/menu"]
TEXTS = [
    "tan cuong",
    "AI là gì?",
    "20:00",
    "SOKHCN",
    "Bạn là thư ký UBND xã. Hãy soạn thông báo họp thôn cho bà con xóm Chè vào 20/11, "
    "tối đa 5 câu.",
]


async def test_every_button_of_every_flow_fits_telegram(learner, api, tutor, catalog, caplog):
    made: set[str] = set()  # every payload the engine produced
    process = tutor.process

    async def recording(inbound, record=False):
        handled = await process(inbound, record)
        made.update(c.action for m in handled.replies for c in m.choices)
        return handled

    tutor.process = recording
    rng = random.Random(3)
    pressed: set[str] = set()
    await learner.onboard(group="Cán bộ")
    idle = 0
    with caplog.at_level(logging.ERROR, logger="hocai.telegram"):
        for _ in range(MAX_STEPS):
            idle = 0 if await explore_one_step(learner, rng, pressed) else idle + 1
            if idle == DONE_AFTER:
                break

    # The walk went everywhere: every lesson opened, quizzes and the final assessment.
    verbs = {p.split(":")[0] for p in pressed}
    assert {A.LESSON, A.CARD, A.ANSWER, A.MODULE, A.EXAM, A.REMIND_SET} <= verbs
    assert {f"{A.LESSON}:{lid}" for lid in catalog.lessons} <= pressed
    # Every payload fits, reached Telegram, and Telegram refused nothing.
    assert max(len(p.encode()) for p in made) <= MAX_CALLBACK_DATA_BYTES
    sent = {
        b["callback_data"]
        for c in api.calls
        for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
    }
    assert sent == made
    assert api.refused() == [], [(c.method, c.description) for c in api.refused()]
    assert "button dropped" not in caplog.text


async def explore_one_step(learner: TgChat, rng: random.Random, pressed: set[str]) -> bool:
    """Press the newest button not pressed yet, anywhere in the chat (old menus and module
    lists too). True when there was one."""
    frontier = [
        (message, b["callback_data"])
        for message in reversed(learner.api.chat(learner.chat_id))
        for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        for b in row
        if b["callback_data"] not in pressed
    ]
    frontier.sort(key=lambda mb: mb[1] in LAST)  # stable: newest first otherwise
    if frontier:
        message, data = frontier[0]
        pressed.add(data)
        await learner.send(learner.callback_update(message, data))
        return True
    if learner.labels and rng.random() < 0.5:
        await learner.press(rng.choice(learner.labels))
    else:
        await learner.say(rng.choice(COMMANDS + TEXTS))
    return False
