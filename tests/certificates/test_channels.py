"""A learner finishes a track and gets the certificate through the real channel
adapters: Telegram (aiogram, sendPhoto + sendDocument uploads to the Bot API stand-in)
and Zalo (sendPhoto by URL to the Zalo stand-in; the URL is served by the web app).

The lessons and the exam go through the engine as in tests/test_curriculum_tracks.py
(the same learner: channel and chat id); the certificate steps go through the channel.
"""

import io

import httpx
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from bot.channels.telegram.service import TelegramService
from bot.web.app import create_app
from tests.certificates.conftest import pass_exam
from tests.telegram import conftest as tg_conf
from tests.telegram.tg import TgChat
from tests.telegram.tg import webhook_delivery as tg_webhook
from tests.transcript import Chat
from tests.zalo import conftest as zl_conf
from tests.zalo.zl import ZaloLearner
from tests.zalo.zl import webhook_delivery as zl_webhook


def _qr(png: bytes) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


async def test_telegram_gets_the_picture_and_the_pdf(
    telegram_api, tutor, catalog, sessions, settings
):
    svc = TelegramService(tg_conf.make_settings(telegram_api), tutor)
    await svc.start()
    app = create_app([svc], sessions=sessions, catalog=catalog, settings=settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            learner = TgChat(
                telegram_api,
                tg_webhook(c, tg_conf.SECRET),
                catalog,
                chat_id=7101,
                first_name="Lan",
                last_name="Nguyễn Thị",
            )
            engine_side = Chat(tutor, catalog, user_id="7101", channel="telegram", name=None)
            await pass_exam(engine_side, catalog)
            await learner.say("/chungnhan")
            learner.expect("Bạn gõ họ và tên đầy đủ")  # onboarded with no display name
            await learner.say("Nguyễn Thị Lan")
            learner.expect("Tên trên giấy: «Nguyễn Thị Lan»")
            await learner.press("Viết tắt")
            photos = [x for x in learner.calls if x.method == "sendPhoto" and x.ok]
            docs = [x for x in learner.calls if x.method == "sendDocument" and x.ok]
            assert len(photos) == len(docs) == 1
            assert "Đây là giấy chứng nhận của bạn, số 2026-000001" in photos[0].params["caption"]
            assert "Bản PDF để in" in docs[0].params["caption"]
            uploads = {name.rsplit(".", 1)[1]: data for _, name, data in telegram_api.uploads}
            assert "Nguyễn Thị Lan" in PdfReader(io.BytesIO(uploads["pdf"])).pages[0].extract_text()
            (url,) = _qr(uploads["png"])
            page = await c.get(url.removeprefix("http://testserver"))
            assert page.status_code == 200 and "N. T. Lan" in page.text

            await learner.say("/chungnhan")  # again: the same two files
            assert [x.method for x in learner.calls if x.ok] == ["sendPhoto", "sendDocument"]
    finally:
        await svc.stop()
    commands = telegram_api.called("setMyCommands")[-1].params["commands"]
    assert "chungnhan" in [cmd["command"] for cmd in commands]


async def test_zalo_gets_the_picture_by_url_and_a_pdf_link(
    zalo_api, tutor, catalog, sessions, settings
):
    svc = zl_conf.make_service(zalo_api, tutor)
    await svc.start()
    app = create_app([svc], sessions=sessions, catalog=catalog, settings=settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            learner = ZaloLearner(
                zalo_api,
                zl_webhook(c, zl_conf.SECRET),
                catalog,
                chat_id="a1b2c3d4e5f6a7b8c9d0",
                display_name="Hoàng Văn Minh",
            )
            engine_side = Chat(
                tutor, catalog, user_id=learner.chat_id, channel="zalo", name="Hoàng Văn Minh"
            )
            await pass_exam(engine_side, catalog)
            await learner.say("/chungnhan")
            learner.expect("Tên in trên giấy là «Hoàng Văn Minh», đúng không?")
            await learner.choose("Đúng tên này")
            await learner.choose("Đầy đủ")
            photos = [m for m in zalo_api.sent[learner.mark :] if m.get("photo")]
            assert len(photos) == 1
            assert "Đây là giấy chứng nhận của bạn" in photos[0]["caption"]
            learner.expect("Bản PDF để in", "/chung-nhan/")
            png = await c.get(photos[0]["photo"].removeprefix("http://testserver"))
            assert png.status_code == 200 and png.headers["content-type"] == "image/png"
            (url,) = _qr(png.content)
            pdf_url = next(w for w in learner.text.split() if w.endswith(".pdf"))
            pdf = await c.get(pdf_url.removeprefix("http://testserver"))
            assert "Hoàng Văn Minh" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
            page = await c.get(url.removeprefix("http://testserver"))
            assert "Giấy chứng nhận hợp lệ" in page.text and "Hoàng Văn Minh" in page.text

            await learner.say("/dulieu")  # deleting one's data revokes it
            await learner.choose("Xóa dữ liệu")
            await learner.choose("Xóa hết")
            page = await c.get(url.removeprefix("http://testserver"))
            assert "không còn hiệu lực" in page.text and "Hoàng Văn Minh" not in page.text
            gone = await c.get(photos[0]["photo"].removeprefix("http://testserver"))
            assert gone.status_code == 404
    finally:
        await svc.stop()
