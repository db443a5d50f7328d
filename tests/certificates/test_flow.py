"""The certificate in the chat: name, privacy choice, files, /chungnhan, deletion."""

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from storage.models import AuditLog, Certificate
from tests.certificates.conftest import pass_exam


def _files(chat):
    kinds = {m.kind: m for m in chat.replies if m.kind in ("image", "document")}
    return kinds["image"], kinds["document"]


async def test_passing_issues_a_certificate_with_the_confirmed_name(
    chat, catalog, sessions, settings
):
    chat.name = "Lan"  # one word: not offered as the name to print
    await pass_exam(chat, catalog)
    chat.expect("Bạn gõ họ và tên đầy đủ, có dấu")
    await chat.say("Lan 123")
    chat.expect("Mình chưa đọc được tên này")
    await chat.say("nguyễn thị   lan")
    chat.expect("Tên trên giấy: «Nguyễn Thị Lan»")
    assert chat.labels == ["Viết tắt: N. T. Lan", "Đầy đủ: Nguyễn Thị Lan"]
    await chat.tap("Viết tắt")
    chat.expect("Đây là giấy chứng nhận của bạn, số 2026-000001")
    image, document = _files(chat)
    assert image.public_url.startswith("http://testserver/chung-nhan/")
    assert document.attachment.endswith(".pdf") and image.attachment.endswith(".png")

    text = PdfReader(document.attachment).pages[0].extract_text()
    assert "Nguyễn Thị Lan" in text and "13/15" in text and "người dân" in text
    async with sessions() as s:
        cert = (await s.execute(select(Certificate))).scalar_one()
        audit = await s.scalar(select(AuditLog).where(AuditLog.action == "certificate_issued"))
    assert (cert.name, cert.full_name_public, cert.score, cert.total) == (
        "Nguyễn Thị Lan",
        False,
        13,
        15,
    )
    assert audit.detail == {"number": cert.number}
    codes = [b.text for b in zxingcpp.read_barcodes(Image.open(image.attachment))]
    assert codes == [f"http://testserver/verify/{cert.code}"]

    await chat.say("/chungnhan")  # sent again, the same files
    chat.expect(f"Giấy chứng nhận số {cert.number} của bạn")
    again, _ = _files(chat)
    assert again.attachment == image.attachment


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_display_name_is_offered_and_deleting_revokes(chat, catalog, sessions, settings):
    chat.name = "Trần Văn Bình"
    await pass_exam(chat, catalog)
    chat.expect("Tên in trên giấy là «Trần Văn Bình», đúng không?")
    await chat.tap("Đúng tên này")
    await chat.tap("Đầy đủ")
    image, document = _files(chat)
    await chat.say("/dulieu")
    chat.expect("Giấy chứng nhận: số 2026-000001, tên «Trần Văn Bình»")
    await chat.tap("Xóa dữ liệu")
    await chat.tap("Xóa hết")
    async with sessions() as s:
        cert = (await s.execute(select(Certificate))).scalar_one()
    assert (cert.name, cert.learner_id, cert.revoked_reason) == (None, None, "deleted")
    assert cert.revoked_at is not None
    assert not list(settings.certificate_dir.iterdir())  # files removed


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_chungnhan_before_passing_and_later(chat, catalog, settings):
    await chat.onboard()
    await chat.say("/chungnhan")
    chat.expect("Giấy chứng nhận được cấp khi bạn đạt bài kiểm tra cuối khóa (đúng từ 80%")
    await chat.press("cn:pub:1")  # forged: nothing issued
    chat.expect("Nút này đã cũ")
    await chat.say("/trogiup")
    chat.expect("/chungnhan – giấy chứng nhận")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_later_then_chungnhan_resumes(chat, catalog, settings):
    chat.name = "Lê Thu Hà"
    await pass_exam(chat, catalog)
    await chat.tap("Để sau")
    await chat.say("/chungnhan")
    chat.expect("Bạn đã đạt bài kiểm tra cuối khóa", "«Lê Thu Hà»")
    await chat.tap("Đúng tên này")
    await chat.tap("Viết tắt")
    chat.expect("Đây là giấy chứng nhận của bạn")
    assert len(_files(chat)) == 2
