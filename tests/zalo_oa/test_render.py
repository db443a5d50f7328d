"""Outbound -> OA messages: buttons within the limits, long labels numbered, too many
choices typed; images and documents uploaded from files or sent by URL."""

from pathlib import Path

from bot.channels.zalo_oa.render import Part, render
from bot.messages import Choice, Outbound
from tests.zalo_oa.oa import OALearner

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_short_labels_become_buttons_with_hidden_payloads():
    [part] = render(Outbound("Bạn muốn làm gì?", (Choice("Học tiếp", "n"), Choice("Về menu", "m"))))
    assert part.text == "Bạn muốn làm gì?"
    assert part.buttons == (("Học tiếp", "#hc:n"), ("Về menu", "#hc:m"))


def test_long_labels_are_listed_and_their_buttons_numbered():
    long = "Cán bộ, công chức, viên chức"
    [part] = render(Outbound("Bạn là ai?", (Choice(long, "g:cb"), Choice("Người dân", "g:dan"))))
    assert part.text == f"Bạn là ai?\n\n1. {long}\n2. Người dân"
    assert part.buttons == (("1", "#hc:g:cb"), ("2", "#hc:g:dan"))
    assert all(len(title) <= 20 for title, _ in part.buttons)


def test_more_choices_than_buttons_are_typed():
    choices = tuple(Choice(f"Bài {i}", f"l:{i}") for i in range(1, 8))
    [part] = render(Outbound("Chọn bài:", choices))
    assert part.buttons == ()
    assert "7. Bài 7" in part.text and "Trả lời một số từ 1 đến 7." in part.text


def test_a_quiz_gets_letter_buttons():
    text = "Câu 1/3: AI là gì?\n\nA. Một\nB. Hai\nC. Ba"
    choices = tuple(Choice(x, f"a:l:q:{i}") for i, x in enumerate("ABC"))
    [part] = render(Outbound(text, choices, kind="quiz"))
    assert part.text == text and [t for t, _ in part.buttons] == ["A", "B", "C"]


def test_a_long_text_is_cut_and_the_buttons_go_with_the_last_piece():
    text = "\n\n".join(["Đoạn văn dài. " * 40] * 6)
    parts = render(Outbound(text, (Choice("Tiếp", "t:x:1"),)))
    assert len(parts) > 1 and all(len(p.text) <= 2000 for p in parts)
    assert [bool(p.buttons) for p in parts] == [False] * (len(parts) - 1) + [True]


def test_attachments(tmp_path: Path):
    png = tmp_path / "chung-nhan.png"
    png.write_bytes(PNG)
    pdf = tmp_path / "tai-lieu.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    url = "https://hocai.test/anh.png"
    assert render(Outbound("Ảnh", kind="image", attachment=url))[0] == Part(image_url=url)
    assert render(Outbound("Ảnh", kind="image", attachment=str(png)))[0] == Part(
        image_path=str(png)
    )
    assert render(Outbound("Tài liệu", kind="document", attachment=str(pdf)))[-1] == Part(
        file_path=str(pdf)
    )
    link = render(Outbound("Tài liệu", kind="document", attachment="https://hocai.test/a.pdf"))
    assert link[-1].text == "Đường dẫn: https://hocai.test/a.pdf"
    missing = render(Outbound("Tài liệu", kind="document", attachment=str(tmp_path / "x.pdf")))
    assert missing == [Part("Tài liệu")]


async def test_an_image_and_a_document_are_uploaded_and_sent(
    tmp_path: Path, api, service, learner: OALearner
):
    await learner.say("Xin chào")  # a follower inside the window
    png = tmp_path / "chung-nhan.png"
    png.write_bytes(PNG)
    pdf = tmp_path / "tai-lieu.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    await service.sender.send(
        learner.user_id,
        [
            Outbound("Chứng nhận của bạn", kind="image", attachment=str(png)),
            Outbound("Tài liệu", kind="document", attachment=str(pdf)),
        ],
    )
    image, caption, doc_text, doc = api.to(learner.user_id)[-4:]
    element = image["attachment"]["payload"]["elements"][0]
    assert api.uploads[element["attachment_id"]] == "chung-nhan.png"
    assert caption["text"] == "Chứng nhận của bạn" and doc_text["text"] == "Tài liệu"
    assert api.uploads[doc["attachment"]["payload"]["token"]] == "tai-lieu.pdf"
    assert all(c.ok for c in api.calls)
