"""Issue #16: the tutor answers what learners actually ask. The fresh learner-question set
(tests/tutor/learner_questions.yaml, written before tuning), the guards on plant, tea and
livestock questions, "did you mean", answering the question asked, and the FAQ file.
The test half is only reported (bench/eval_tutor.py --set learner --half test); the
thresholds here are the ones the issue sets, checked on the dev half and on refusals."""

import zlib
from pathlib import Path

import pytest
import yaml

from bot.tutor import guards
from bot.tutor.answerer import ANIMALS, DID_YOU_MEAN, NOT_FOUND, Answerer
from lessons.loader import load_catalog

HERE = Path(__file__).parent
DATA = yaml.safe_load((HERE / "learner_questions.yaml").read_text(encoding="utf-8"))


def half(q: str) -> str:
    return "dev" if zlib.crc32(q.encode("utf-8")) % 2 == 0 else "test"


@pytest.fixture(scope="module")
def lessons_only(catalog):
    return Answerer(catalog, faq=False)


@pytest.fixture(scope="module")
def full(catalog):
    return Answerer(catalog)


def test_the_set_is_big_labelled_and_split_by_a_fixed_rule(catalog):
    answerable = DATA["answerable"]
    assert len(answerable) >= 150 and DATA["in_domain"] and DATA["out_of_scope"]
    questions = [i["q"] for group in DATA.values() for i in group]
    assert len(set(questions)) == len(questions)
    for item in answerable + DATA["in_domain"]:
        assert all(lid in catalog.lessons for lid in item["lessons"]), item
    assert all(item["lessons"] for item in answerable)
    dev = sum(half(i["q"]) == "dev" for i in answerable)
    assert 0.4 < dev / len(answerable) < 0.6


async def test_no_course_question_is_refused_and_nothing_outside_it_is_answered(full):
    for item in DATA["answerable"] + DATA["in_domain"]:
        reply = await full.respond(item["q"])
        assert reply.source != "refused", (item["q"], reply.category)
    for item in DATA["in_domain"]:  # plants, tea, livestock: never "a doctor, 115"
        assert "115" not in (await full.respond(item["q"])).text, item["q"]
    for item in [i for i in DATA["out_of_scope"] if half(i["q"]) == "dev"]:  # test: reported
        reply = await full.respond(item["q"])
        assert reply.category == "unknown" and reply.lesson_ids == [], (item["q"], reply)


@pytest.mark.parametrize("faq", [False, True], ids=["lessons only", "with the FAQ"])
async def test_the_dev_half_meets_the_issue_measures(catalog, faq):
    answerer = Answerer(catalog, faq=faq)
    dev = [i for i in DATA["answerable"] if half(i["q"]) == "dev"]
    top3 = not_found = 0
    for item in dev:
        reply = await answerer.respond(item["q"])
        top3 += any(lid in item["lessons"] for lid in reply.lesson_ids[:3])
        not_found += not reply.lesson_ids
    assert top3 / len(dev) >= 0.90
    assert not_found / len(dev) <= 0.05


@pytest.mark.parametrize(
    "question",
    [
        "che bi benh gi",
        "AI có giúp tôi biết chè bị sâu bệnh gì không",
        "lá chè bị đốm nâu là bệnh gì",
        "cây cam bị vàng lá thì chụp ảnh hỏi app được không",
        "quảng cáo chè chữa bệnh tiểu đường được không",
        "nhom zalo gui link mua thuoc dac tri sau la, tin dc ko",
        "làm sao nhận ra cuộc gọi video giả",
        "hỏi chatbot về bệnh cao huyết áp của bố có nên không",
    ],
)
def test_plants_tea_and_ads_are_not_human_medicine(question):
    assert guards.check_input(question) is None


@pytest.mark.parametrize(
    ("question", "category"),
    [
        ("tôi bị sốt cao uống thuốc gì", "medical"),
        ("chatgpt ơi con tôi bị ho khan phải làm sao", "medical"),
        ("tôi bị đau đầu, uống chè gừng có khỏi không", "medical"),
        ("rầy xanh hại chè phun thuốc gì", "pesticide"),
        ("thuốc trừ sâu nào tốt nhất cho chè", "pesticide"),
    ],
)
def test_what_the_guards_mean_to_refuse_stays_refused(question, category):
    verdict = guards.check_input(question)
    assert verdict is not None and verdict.category == category


async def test_livestock_gets_an_honest_pointer_not_a_doctor(full):
    for q in ("lợn bị sốt bỏ ăn thì làm sao", "ga nha toi bi benh gi ma ru ru"):
        reply = await full.respond(q)
        assert reply.source == "offline" and reply.text == ANIMALS and not reply.lesson_ids
        assert "115" not in reply.text and "bác sĩ" not in reply.text


async def test_a_refusal_offers_no_unrelated_lesson(full):
    for q in ("tôi bị sốt cao uống thuốc gì", "toi muon ly hon thi chia tai san the nao"):
        reply = await full.respond(q)
        assert reply.source == "refused" and reply.lesson_id is None and not reply.lesson_ids


async def test_a_moderate_match_asks_did_you_mean_with_lesson_choices(chat):
    await chat.onboard()
    await chat.say("AI nói sai thì sao")
    chat.expect(DID_YOU_MEAN)
    offered = [label for label in chat.labels if label.startswith("Bài ")]
    assert 2 <= len(offered) <= 3 and all("«" in label for label in offered)
    assert "👍 Hữu ích" in chat.labels and "Về menu" in chat.labels
    await chat.say("1")  # typed on Zalo and in the console: the first lesson opens
    chat.expect(f"📚 {offered[0].split(' «')[0]}")


async def test_how_to_spot_a_fake_image_reaches_the_signs_card(lessons_only, full, catalog):
    signs = catalog.lessons["m4-3"].cards[2]
    assert signs.startswith("Dấu hiệu ảnh")
    for q in ("làm sao biết ảnh giả", "lam sao biet anh gia"):
        reply = await lessons_only.respond(q)  # retrieval alone, no FAQ
        assert (reply.category, reply.lesson_id) == ("answer", "m4-3"), reply
        assert signs in reply.text
    reply = await full.respond("làm sao biết ảnh giả")
    assert (reply.category, reply.lesson_id) == ("faq", "m4-3") and "ngón tay" in reply.text


async def test_how_questions_prefer_the_card_that_tells_how(lessons_only, catalog):
    reply = await lessons_only.respond("nhận biết cuộc gọi deepfake thế nào")
    assert reply.lesson_id == "m4-1" and catalog.lessons["m4-1"].cards[3] in reply.text


async def test_faq_entries_answer_first_and_point_to_their_lesson(full, catalog):
    entry = catalog.faq[0]
    reply = await full.respond(entry.questions[0].upper())
    assert (reply.source, reply.category, reply.lesson_ids) == ("offline", "faq", [entry.lesson])
    assert reply.text.startswith(entry.answer[:40])
    assert f"📚 Xem bài {catalog.position(entry.lesson)}" in reply.text
    assert (await full.respond("cách nấu phở bò cho ngon")).category == "unknown"
    assert NOT_FOUND in (await full.respond("cách nấu phở bò cho ngon")).text


def test_the_faq_file_is_checked(tmp_path, catalog):
    import shutil

    from bot.config import LESSONS_DIR

    assert 15 <= len(catalog.faq) <= 30
    root = tmp_path / "content"
    shutil.copytree(LESSONS_DIR, root)
    (root / "faq.yaml").write_text(
        "- questions: [mã OTP là gì]\n  answer: Mã xác thực.\n  lesson: m9-9\n"
        "- questions: [deepfake, DeepFake]\n  answer: Mã xác thực.\n  lesson: m4-2\n"
        "- questions: [' ']\n  answer: " + "x" * 700 + "\n  lesson: m4-1\n",
        encoding="utf-8",
    )
    _catalog, problems = load_catalog(root)
    text = "\n".join(str(p) for p in problems)
    assert "faq.yaml:3: lesson: no lesson with id m9-9" in text
    assert "faq.yaml:4: questions[1]: also at line 4" in text
    assert "faq.yaml:7: [2].questions[0]" in text  # empty
    assert "faq.yaml:8: [2].answer: String should have at most 600 characters" in text


async def test_without_a_topic_word_retrieval_decides_the_scope(lessons_only, monkeypatch):
    """The topic list only knows the words someone thought of: with it switched off, a
    question the lessons answer still gets its lessons (as choices, never a quoted card),
    and every out-of-scope question of the dev half and adversarial.yaml still gets
    "not found"."""
    monkeypatch.setattr(guards, "in_scope", lambda question, corrected=(): False)
    dev = [i for i in DATA["answerable"] if half(i["q"]) == "dev"]
    found = 0
    for item in dev:
        reply = await lessons_only.respond(item["q"])
        assert reply.category in ("choices", "glossary", "unknown"), (item["q"], reply)
        found += any(lid in item["lessons"] for lid in reply.lesson_ids[:3])
    assert found >= 0.8 * len(dev)  # 86% when this was written
    adversarial = yaml.safe_load((HERE / "adversarial.yaml").read_text(encoding="utf-8"))
    outside = [i["q"] for i in DATA["out_of_scope"] if half(i["q"]) == "dev"]
    outside += [i["input"] for i in adversarial if i["expect"] == "out_of_scope"]
    for question in outside:
        reply = await lessons_only.respond(question)
        assert reply.category == "unknown" and reply.lesson_ids == [], (question, reply)
