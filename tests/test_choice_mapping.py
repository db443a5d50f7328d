"""Typed replies that pick the last offered choice (Engine._choice_from_text): how learners
choose on channels without buttons (Zalo, console), and what stays free text."""

import pytest

from bot.engine import Engine
from storage.models import Learner

CONSENT = [["Đồng ý", "c:y"], ["Không đồng ý", "c:n"]]
QUIZ = [["A", "a:m1-1:q1:2"], ["B", "a:m1-1:q1:0"], ["C", "a:m1-1:q1:3"], ["D", "a:m1-1:q1:1"]]
MENU = [["Học tiếp", "n"], ["Chọn bài", "ls"], ["Tiến độ", "p"], ["Về menu", "m"]]
MODULES = [["1. AI là gì", "mod:m1"], ["4. An toàn khi dùng AI", "mod:m4"], ["Về menu", "m"]]


@pytest.fixture(scope="module")
def bare(catalog) -> Engine:
    return Engine(sessions=None, catalog=catalog)  # _choice_from_text needs no database


def pick(tutor: Engine, choices: list, text: str) -> str | None:
    learner = Learner(channel="t", channel_user_id="1", choices=choices)
    action = tutor._choice_from_text(learner, text)
    return None if action is None else ":".join((action.verb, *action.args))


@pytest.mark.parametrize(
    "text", ["2", "2.", "2)", "(2)", "#2", "số 2", "so 2", "Số 2.", "chọn 2", "chon 2", " 2 ", "２"]
)
def test_numbers_in_the_ways_people_type_them(bare, text):
    assert pick(bare, MENU, text) == "ls"


@pytest.mark.parametrize("text", ["B", "b", "B.", "b)", "chọn B", "đáp án B", "dap an b", "2"])
def test_lettered_options_by_letter_or_number(bare, text):
    assert pick(bare, QUIZ, text) == "a:m1-1:q1:0"


@pytest.mark.parametrize(
    "text",
    [
        "Đồng ý",
        "đồng ý",
        "dong y",
        "DONG Y",
        "Đồng  ý",
        "dongy",
        "  đồng ý!",
        "Đồng ý.",
        "1. Đồng ý",
    ],
)
def test_labels_with_or_without_diacritics_case_and_spacing(bare, text):
    assert pick(bare, CONSENT, text) == "c:y"


def test_a_longer_label_is_not_confused_with_a_shorter_one(bare):
    assert pick(bare, CONSENT, "khong dong y") == "c:n"
    assert pick(bare, CONSENT, "Không đồng ý") == "c:n"


def test_a_label_without_its_own_numbering(bare):
    assert pick(bare, MODULES, "an toan khi dung ai") == "mod:m4"
    assert pick(bare, MODULES, "4. An toàn khi dùng AI") == "mod:m4"
    assert pick(bare, MODULES, "2") == "mod:m4"  # the position in the list decides


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "6",  # out of range
        "25",
        "2 con mèo",
        "số 2 là gì",
        "1. Không đồng ý",  # number and label disagree
        "so sánh",
        "²",
        "E",
        "AI là gì?",
        "đồng",
        "hoc tiep di",
        "2.5",
        "",
        "...",
    ],
)
def test_free_text_is_not_swallowed(bare, text):
    assert pick(bare, MENU + [["Đồng ý", "c:y"]], text) is None


def test_nothing_offered_means_free_text(bare):
    assert pick(bare, [], "1") is None
    assert pick(bare, [], "Đồng ý") is None


def test_labels_equal_only_once_folded_need_the_exact_spelling(bare):
    twins = [["Xã Tân Cương", "cm:1"], ["Xã Tân Cường", "cm:2"]]
    assert pick(bare, twins, "Xã Tân Cường") == "cm:2"
    assert pick(bare, twins, "xã tân cương") == "cm:1"
    assert pick(bare, twins, "xa tan cuong") is None  # ambiguous: free text
    assert pick(bare, twins, "2") == "cm:2"


async def test_a_learner_onboards_and_answers_by_typing(chat, sessions):
    await chat.say("/start")
    await chat.say("dong y")
    chat.expect("Bạn thuộc nhóm nào?")
    await chat.say("số 1")
    chat.expect("xã, phường nào")
    await chat.say("tan cuong")
    await chat.say("1.")
    chat.expect("✅ Bạn ở Xã Tân Cương")
    await chat.say("bo qua")
    chat.expect("Xong rồi!")
    await chat.say("1)")
    chat.expect("📚 Bài 1.1")
    while not any(m.kind == "quiz" for m in chat.replies):
        await chat.say("1")
    quiz, _lesson, question = chat.current_question()
    right = next(c.label for c in quiz.choices if c.action.endswith(f":{question.correct_index}"))
    await chat.say(f"đáp án {right.lower()}")
    chat.expect("✅ Đúng rồi!")


async def test_a_question_that_mentions_a_label_stays_a_question(chat):
    await chat.onboard()
    await chat.say("menu")
    assert "Tiến độ" in chat.labels
    await chat.say("tiến độ học AI ở Thái Nguyên thế nào")
    chat.expect_not("📊 Tiến độ của bạn")
    await chat.say("menu")
    await chat.say("tien do")
    chat.expect("📊 Tiến độ của bạn")


def test_a_quiz_option_typed_in_full_answers_it(bare):
    """The learner types the option's words instead of its letter (issue #16)."""
    typed = [
        ["A", "a:m1-1:q1:2", "Phần mềm làm được việc cần suy nghĩ"],
        ["B", "a:m1-1:q1:0", "Một con người thật"],
    ]
    assert pick(bare, typed, "mot con nguoi that") == "a:m1-1:q1:0"
    assert pick(bare, typed, "Phần mềm làm được việc cần suy nghĩ.") == "a:m1-1:q1:2"
    assert pick(bare, typed, "một con người") is None  # part of an option: free text


async def test_typing_the_right_option_in_a_lesson_quiz(chat):
    await chat.onboard()
    await chat.press("l:m1-1")
    while not any(m.kind == "quiz" for m in chat.replies):
        await chat.say("1")
    _quiz, _lesson, question = chat.current_question()
    await chat.say(question.options[question.correct_index].text.lower())
    chat.expect("✅ Đúng rồi!")
