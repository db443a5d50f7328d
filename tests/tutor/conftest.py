"""The AI tutor against a local OpenAI-compatible stand-in (real openai client over HTTP)."""

import random
from pathlib import Path

import pytest
import yaml

from bot.engine import Engine
from bot.tutor import prompts as P
from bot.tutor.answerer import Answerer
from bot.tutor.llm import ChatModel
from tests.standins.openai_api import API_KEY, MODEL
from tests.transcript import Chat

HERE = Path(__file__).parent
TIMEOUT = 1.0  # seconds; the stand-in is told to sleep past it


def eval_questions() -> list[dict]:
    return yaml.safe_load((HERE / "eval_questions.yaml").read_text(encoding="utf-8"))


def adversarial() -> list[dict]:
    return yaml.safe_load((HERE / "adversarial.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def standin(openai_api):
    return openai_api


@pytest.fixture(scope="session")
def prompts():
    return P.load()


@pytest.fixture
def model(standin):
    return ChatModel(MODEL, API_KEY, standin.base_url, timeout=TIMEOUT)


@pytest.fixture
def ai(catalog, model, prompts):
    """An answerer with the stand-in model."""
    # faq=False: these tests are about the model path; an FAQ entry would answer first.
    return Answerer(catalog, model=model, prompts=prompts, daily_quota=30, faq=False)


@pytest.fixture
def offline(catalog):
    return Answerer(catalog)


@pytest.fixture
def ai_chat(sessions, catalog, ai):
    return Chat(Engine(sessions, catalog, rng=random.Random(7), answerer=ai), catalog)
