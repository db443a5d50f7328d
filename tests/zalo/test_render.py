"""Outbound -> Zalo text: numbered choices with a hint, lettered quiz options, pieces
within 2,000 characters cut at paragraph breaks, the list of choices with the last one."""

import httpx

from bot.channels.zalo.constants import MAX_TEXT_CHARS
from bot.channels.zalo.render import Part, render, render_text, split_text, zalo_len
from bot.channels.zalo.service import ZaloService
from bot.engine import Handled
from bot.messages import Choice, Outbound
from bot.web.app import create_app
from tests.standins.zalo_api import event
from tests.zalo.conftest import FAST, SECRET, make_settings
from tests.zalo.zl import SECRET_HEADER

MENU = (Choice("Học tiếp", "n"), Choice("Chọn bài", "ls"), Choice("Về menu", "m"))


def paragraphs(n: int, size: int = 300) -> str:
    return "\n\n".join(f"Đoạn {i}: " + " ".join(["chữ"] * (size // 4)) for i in range(n))


def test_choices_become_a_numbered_list_with_a_hint():
    (text,) = render_text(Outbound("Bạn muốn làm gì?", MENU))
    assert (
        text == "Bạn muốn làm gì?\n\n1. Học tiếp\n2. Chọn bài\n3. Về menu\n\nTrả lời 1, 2 hoặc 3."
    )


def test_hints_for_one_two_and_many_choices():
    one = render_text(Outbound("x", MENU[:1]))[0]
    two = render_text(Outbound("x", MENU[:2]))[0]
    many = render_text(Outbound("x", tuple(Choice(f"Mục {i}", "m") for i in range(7))))[0]
    assert one.endswith("1. Học tiếp\n\nTrả lời 1 để chọn.")
    assert two.endswith("Trả lời 1 hoặc 2.")
    assert many.endswith("7. Mục 6\n\nTrả lời một số từ 1 đến 7.")


def test_lettered_quiz_options_only_get_the_hint():
    quiz = Outbound(
        "Câu 1/3: AI là gì?\n\nA. Máy học từ dữ liệu\nB. Một con robot\nC. Phép màu",
        (Choice("A", "a:1"), Choice("B", "a:2"), Choice("C", "a:3")),
        kind="quiz",
    )
    (text,) = render_text(quiz)
    assert text == quiz.text + "\n\nTrả lời A, B hoặc C."


def test_a_label_numbered_by_the_flow_is_not_numbered_twice():
    modules = (Choice("1. AI là gì", "mod:m1"), Choice("4. An toàn", "mod:m4"))
    (text,) = render_text(Outbound("Bạn muốn học chủ đề nào?", modules))
    assert "1. AI là gì\n2. An toàn" in text


def test_choices_without_text():
    assert render_text(Outbound("", MENU[:2]))[0].startswith("Mời bạn chọn:\n\n1. Học tiếp")


def test_long_text_is_cut_at_paragraph_breaks_within_the_limit():
    text = paragraphs(12)
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(0 < zalo_len(p) <= MAX_TEXT_CHARS for p in pieces)
    assert "\n\n".join(pieces) == text  # nothing lost, every cut at a paragraph break


def test_a_paragraph_longer_than_the_limit_is_cut_at_lines_then_words():
    line = "một dòng rất dài " * 20
    text = "\n".join([line] * 12) + "\n\n" + "từ " * 900
    pieces = split_text(text)
    assert all(zalo_len(p) <= MAX_TEXT_CHARS for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())


def test_emoji_count_double_so_the_limit_holds_however_zalo_counts():
    pieces = split_text("✅📚" * 1500)
    assert len(pieces) == 3 and all(zalo_len(p) <= MAX_TEXT_CHARS for p in pieces)
    assert "".join(pieces) == "✅📚" * 1500


def test_the_choices_stay_with_the_last_piece():
    message = Outbound(paragraphs(7, size=280), MENU)
    pieces = render_text(message)
    assert len(pieces) == 2 and all(zalo_len(p) <= MAX_TEXT_CHARS for p in pieces)
    assert pieces[-1].endswith("1. Học tiếp\n2. Chọn bài\n3. Về menu\n\nTrả lời 1, 2 hoặc 3.")
    assert "1. Học tiếp" not in pieces[0]


def test_a_last_paragraph_too_long_to_share_with_the_choices_is_cut_again():
    message = Outbound("Mở đầu.\n\n" + "chữ " * 495, MENU)  # 1,980 chars: no room for the list
    pieces = render_text(message)
    assert all(zalo_len(p) <= MAX_TEXT_CHARS for p in pieces)
    assert pieces[-1].endswith("Trả lời 1, 2 hoặc 3.")


def test_photos_go_by_url_and_documents_as_links():
    photo = Outbound("Ảnh minh họa", kind="image", attachment="https://cdn.test/a.png")
    assert render(photo) == [Part("Ảnh minh họa", photo="https://cdn.test/a.png")]
    doc = Outbound("Chứng nhận của bạn", kind="document", attachment="https://cdn.test/c.pdf")
    assert render(doc) == [Part("Chứng nhận của bạn"), Part("Đường dẫn: https://cdn.test/c.pdf")]
    local = Outbound("Chứng nhận của bạn", kind="document", attachment="/tmp/c.pdf")
    assert render(local) == [Part("Chứng nhận của bạn")]


class LongTutor:
    """Stands in for the engine when a test needs a reply longer than Zalo takes."""

    sessions = None

    def __init__(self, replies: list[Outbound]):
        self.replies = replies

    async def handle(self, inbound) -> list[Outbound]:
        return self.replies

    async def process(self, inbound, record=False) -> Handled:
        return Handled(self.replies)


async def test_a_long_reply_from_the_engine_reaches_zalo_in_pieces(api):
    long = Outbound(paragraphs(15), MENU)
    photo = Outbound("Ảnh", kind="image", attachment="https://cdn.test/a.png")
    service = ZaloService(make_settings(api), LongTutor([long, photo]), retry=FAST)
    await service.start()
    try:
        transport = httpx.ASGITransport(app=create_app([service]))
        async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as c:
            flat = event("chat-long", text="bài dài")
            response = await c.post("/zalo/webhook", json=flat, headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200
    finally:
        await service.stop()
    sent = api.texts("chat-long")
    assert len(sent) >= 3 and api.refused() == []
    assert all(zalo_len(t) <= MAX_TEXT_CHARS for t in sent)
    assert sent[-1].endswith("Trả lời 1, 2 hoặc 3.")
    assert "\n\n".join(sent).startswith(long.text)
    assert api.sent[-1]["photo"] == "https://cdn.test/a.png"
