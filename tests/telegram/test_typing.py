""" "typing…" shows only while a slow answer (the AI model's) is being prepared."""

import random

import pytest

from bot.engine import Engine
from bot.tutor import prompts as P
from bot.tutor.answerer import Answerer
from bot.tutor.llm import ChatModel
from tests.standins.openai_api import API_KEY, MODEL


@pytest.fixture
def tutor(sessions, catalog, openai_api):  # the channel's tutor, with a model to wait for
    model = ChatModel(MODEL, API_KEY, openai_api.base_url, timeout=5.0)
    answerer = Answerer(catalog, model=model, prompts=P.load(), daily_quota=30)
    return Engine(sessions, catalog, rng=random.Random(7), answerer=answerer)


async def test_a_slow_answer_shows_typing_while_it_is_prepared(learner, openai_api):
    # (A fast reply shows none: tests/test_typing.py, with a controlled delay.)
    await learner.onboard()
    openai_api.answer("AI là máy tính học từ dữ liệu để làm việc giống con người.")
    openai_api.sleep(0.8)  # the model takes a while: the learner sees "typing…" meanwhile
    await learner.say("AI là gì vậy?")
    methods = [c.method for c in learner.calls]
    assert methods[0] == "sendChatAction" and learner.calls[0].params["action"] == "typing"
    assert methods.count("sendChatAction") == 1 and "sendMessage" in methods
    learner.expect("AI là máy tính học từ dữ liệu")
