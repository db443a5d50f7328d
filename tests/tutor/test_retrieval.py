"""Retrieval over lesson cards and glossary: the evaluation set, Vietnamese-aware matching."""

import pytest

from bot.tutor import guards
from bot.tutor.retriever import Retriever, canon, for_catalog, tokens
from tests.tutor.conftest import eval_questions

TOP3_TARGET = 0.90


@pytest.fixture(scope="module")
def retriever(catalog):
    return for_catalog(catalog)


def test_the_evaluation_set_reaches_the_target(retriever):
    items = eval_questions()
    assert len(items) >= 60
    top1 = top3 = 0
    misses = []
    for item in items:
        found = retriever.search(item["q"]).lesson_ids
        top1 += bool(found) and found[0] in item["lessons"]
        if any(lid in item["lessons"] for lid in found[:3]):
            top3 += 1
        else:
            misses.append((item["q"], item["lessons"], found))
    print(f"\noffline retrieval: top-1 {top1 / len(items):.1%}, top-3 {top3 / len(items):.1%}")
    assert top3 / len(items) >= TOP3_TARGET, misses


def test_every_expected_lesson_exists(catalog):
    for item in eval_questions():
        assert item["lessons"], item
        for lid in item["lessons"]:
            assert lid in catalog.lessons, (item["q"], lid)


def test_no_course_question_is_refused_or_out_of_scope(retriever):
    for item in eval_questions():
        assert guards.check_input(item["q"]) is None, item["q"]
        corrected = list(retriever.search(item["q"]).corrections.values())
        assert guards.in_scope(item["q"], corrected), item["q"]


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        ("lua dao qua dien thoai", "lừa đảo qua điện thoại"),
        ("LỪA ĐẢO qua ĐIỆN THOẠI!!!", "lừa đảo qua điện thoại"),
        ("bị lừa đão qua mạng", "bị lừa đảo qua mạng"),  # hỏi/ngã mixed up
        ("hoà giải ở thôn", "hòa giải ở thôn"),  # old and new tone placement
    ],
)
def test_case_diacritics_and_spelling_do_not_change_the_answer(retriever, typed, same_as):
    assert retriever.search(typed).lesson_ids == retriever.search(same_as).lesson_ids


def test_typos_shorthand_and_compounds(retriever):
    assert retriever.search("deepfek la j").lesson_ids[0] == "m4-1"
    assert retriever.search("deepfek la j").corrections == {"deepfek": "deepfake"}
    assert retriever.search("chatgtp hay bia so lieu ko").corrections["chatgtp"] == "chatgpt"
    assert "m3-1" in retriever.search("cau len viet sao cho hay").lesson_ids  # 'câu lệnh'
    assert [t.folded for t in tokens("ko dc sdt")] == ["khong", "duoc", "so", "dien", "thoai"]
    assert retriever.search("chat gpt").lesson_ids[0] == retriever.search("chatgpt").lesson_ids[0]


def test_diacritics_keep_words_apart_when_typed(retriever):
    """Typed with diacritics, 'nấu phở' is not 'nâu' (brown) and 'Phổ Yên'."""
    terms, words, _ = retriever.query_terms("cách nấu phở bò")
    assert "a:" + canon("nấu") in words and "f:nau" not in words
    assert canon("hoà") == canon("hòa") and canon("đão") == canon("đảo")
    assert canon("nấu") != canon("nâu")


def test_built_once_per_catalogue(catalog):
    assert for_catalog(catalog) is for_catalog(catalog)
    assert isinstance(for_catalog(catalog), Retriever)
    kinds = {p.kind for p in for_catalog(catalog).passages}
    assert kinds == {"card", "term"}  # lesson cards and the glossary
