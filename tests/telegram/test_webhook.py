"""Webhook mode end to end: real Update JSON posted to the FastAPI app, replies checked on
what the Bot API stand-in received."""

import httpx
from fastapi.routing import APIRoute
from sqlalchemy import select

from bot.channels.telegram.constants import SECRET_HEADER
from bot.channels.telegram.constants import WEBHOOK_PATH as PATH
from bot.channels.telegram.texts import COMMANDS, GROUP_NOTE, NON_TEXT
from bot.messages import Choice, Outbound
from bot.web.app import WebhookFastPath, create_app
from storage.models import Learner, LessonProgress, ProcessedUpdate, QuizAnswer, Unit
from tests.telegram.conftest import SECRET


async def test_commands_are_registered_in_vietnamese_at_start_up(api, service):
    (call,) = api.called("setMyCommands")
    commands = call.params["commands"]
    assert [c["command"] for c in commands] == [
        "start",
        "hoc",
        "tiendo",
        "hoi",
        "nhac",
        "chungnhan",
        "dulieu",
        "trogiup",
    ]
    assert [c["description"] for c in commands] == [d for _, d in COMMANDS]
    assert call.params["scope"] == {"type": "all_private_chats"}


async def test_a_learner_onboards_learns_a_lesson_takes_the_quiz_and_sees_progress(
    learner, api, sessions
):
    await learner.say("/start")
    learner.expect("Xin chào! Mình là trợ lý học AI", "Bạn có đồng ý không?")
    assert learner.labels == ["Đồng ý", "Không đồng ý"]

    await learner.press("Đồng ý")
    learner.expect("Bạn thuộc nhóm nào?")
    await learner.press("Người dân")
    learner.expect("xã, phường nào")
    await learner.say("tan cuong")
    assert learner.labels == ["Xã Tân Cương"]
    await learner.press("Xã Tân Cương")
    learner.expect("✅ Bạn ở Xã Tân Cương", "mã tham gia")
    await learner.press("Bỏ qua")
    learner.expect("Xong rồi!", "bài 1.1")

    await learner.press("Học ngay")
    learner.expect("📚 Bài 1.1")
    await learner.read_lesson()
    question_text = learner.quiz_message()["text"]
    learner.expect("Câu 1/")

    pressed = await learner.answer(right=True)
    # The question message itself now shows the choice and verdict, without buttons...
    edited = api.messages[(learner.chat_id, pressed["message_id"])]
    assert edited["text"].startswith(question_text + "\n\nBạn chọn: ")
    assert "✅ Đúng rồi!" in edited["text"]
    assert "reply_markup" not in edited
    # ...and the next question came as a new message; the press was answered in the
    # webhook's response (Telegram runs it when the update is done).
    assert [(c.method, c.content_type == "webhook-answer") for c in api.calls[learner.mark :]] == [
        ("editMessageText", False),
        ("sendMessage", False),
        ("answerCallbackQuery", True),
    ]
    learner.expect("Câu 2/")

    pressed = await learner.answer(right=False)
    edited = api.messages[(learner.chat_id, pressed["message_id"])]
    assert "❌ Chưa đúng. Đáp án đúng là" in edited["text"]
    while learner.quiz_message() is not None:
        await learner.answer(right=True)
    learner.expect("Xong bài 1.1!")

    await learner.press("Xem tiến độ")
    learner.expect("📊 Tiến độ của bạn", "Đã xong 1/")

    async with sessions() as s:
        row = (await s.execute(select(Learner))).scalar_one()
        answers = list((await s.execute(select(QuizAnswer).order_by(QuizAnswer.id))).scalars())
        progress = (await s.execute(select(LessonProgress))).scalar_one()
    assert (row.channel, row.channel_user_id) == ("telegram", "7001")
    assert row.display_name == "Lan Nguyễn"  # first_name + last_name
    assert [a.correct for a in answers][:2] == [True, False]
    assert progress.completed_at is not None
    # Every button press was answered, and Telegram refused nothing.
    presses = [c for c in api.calls if c.method == "answerCallbackQuery"]
    assert len(presses) == len({c.params["callback_query_id"] for c in presses}) > 10
    assert all(c.ok for c in presses)
    assert api.refused() == []


async def rows(sessions, model) -> list:
    async with sessions() as s:
        return list((await s.execute(select(model))).scalars())


async def test_a_missing_or_wrong_secret_gets_401_and_nothing_is_processed(
    learner, client, api, sessions
):
    update = learner.message_update(text="/start")
    before = len(api.calls)
    for headers in (
        {},
        {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
        {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "x"},
        {"X-Telegram-Bot-Api-Secret-Token": ""},
    ):
        response = await client.post("/telegram/webhook", json=update, headers=headers)
        assert response.status_code == 401
    assert api.calls[before:] == []
    assert await rows(sessions, Learner) == []
    assert await rows(sessions, ProcessedUpdate) == []


async def test_a_body_that_is_not_an_update_is_refused(client, api):
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    before = len(api.calls)
    response = await client.post("/telegram/webhook", content=b"not json", headers=headers)
    assert response.status_code == 400
    assert api.calls[before:] == []


async def test_the_same_update_delivered_twice_gets_one_reply(learner, api, sessions):
    update = learner.message_update(text="/start")
    await learner.send(update)
    first = learner.sent
    assert len(first) == 2  # greeting, consent question
    await learner.send(update)  # Telegram redelivers (e.g. our 200 was lost)
    assert learner.sent == []
    assert len(api.called("sendMessage", learner.chat_id)) == 2

    press = learner.callback_update(*learner.button("Đồng ý"))
    await learner.send(press)
    await learner.send(press)
    assert learner.sent == []
    assert len(api.called("sendMessage", learner.chat_id)) == 3


async def test_text_with_markup_characters_arrives_exactly_as_written(learner, api):
    await learner.say("/start")
    await learner.press("Đồng ý")
    await learner.press("Người dân")
    await learner.say("dai tu")
    await learner.press(learner.labels[0])
    learner.expect("mã tham gia")
    odd = "<b>A&B</b> <i> &amp; 1<2>3"
    await learner.say(odd)  # taken as a join code, and quoted back
    learner.expect(f"Mình chưa thấy mã «{odd}»")
    # No parse mode anywhere: Telegram shows every character as it is.
    assert all("parse_mode" not in c.params for c in api.calls)
    assert api.refused() == []


async def test_a_photo_sticker_or_voice_message_gets_a_friendly_note(learner, api):
    await learner.say("/start")
    for content in (
        {"photo": [{"file_id": "p1", "file_unique_id": "p", "width": 90, "height": 90}]},
        {
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "s",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"voice": {"file_id": "v1", "file_unique_id": "v", "duration": 3}},
    ):
        update = learner.message_update(**content)
        await learner.send(update)
        assert learner.sent == [NON_TEXT]
        await learner.send(update)  # redelivered: still one note
        assert learner.sent == []
    assert "đọc được tin nhắn chữ" in NON_TEXT


async def test_in_a_group_the_bot_answers_once_then_ignores_it(learner, api, sessions):
    group = {"id": -100777, "type": "supergroup", "title": "Cán bộ xã"}

    def in_group(**content) -> dict:
        update = learner.message_update(**content)
        update["message"]["chat"] = group
        return update

    await learner.send(in_group(text="/start@hocai_test_bot"))
    (note,) = [c.params["text"] for c in api.called("sendMessage", group["id"])]
    assert note.startswith(GROUP_NOTE) and "https://t.me/hocai_test_bot?start" in note
    await learner.send(in_group(text="/hoc"))
    await learner.send(in_group(text="xin chào"))
    assert len(api.called("sendMessage", group["id"])) == 1

    message = api.chat(group["id"])[0]
    await learner.send(learner.callback_update(message, "m"))
    assert [c.method for c in api.calls[learner.mark :]] == ["answerCallbackQuery"]
    assert await rows(sessions, Learner) == []  # nobody was enrolled from the group


async def test_a_deep_link_enrols_the_learner_into_a_unit(learner, sessions):
    async with sessions() as s, s.begin():
        s.add(Unit(code="SOKHCN", name="Sở Khoa học và Công nghệ"))
    await learner.say("/start SOKHCN")  # what t.me/<bot>?start=SOKHCN sends
    await learner.press("Đồng ý")
    await learner.press("Cán bộ")
    await learner.say("phan dinh phung")
    await learner.press(learner.labels[0])
    learner.expect("đơn vị: Sở Khoa học và Công nghệ")
    (row,) = await rows(sessions, Learner)
    (unit,) = await rows(sessions, Unit)
    assert row.unit_id == unit.id


async def test_an_answer_on_a_message_telegram_no_longer_shows_comes_as_a_new_message(learner, api):
    await learner.onboard()
    await learner.press("Học ngay")
    await learner.read_lesson()
    message, data = learner.button("A")
    gone = {"chat": message["chat"], "message_id": message["message_id"], "date": 0}
    await learner.send(learner.callback_update(gone, data))  # an InaccessibleMessage
    assert api.called("editMessageText") == []
    assert learner.sent[0].startswith(("✅", "❌"))


async def test_files_go_as_multipart_with_their_caption(learner, api, service, tmp_path):
    certificate = tmp_path / "chung-nhan.pdf"
    certificate.write_bytes(b"%PDF-1.4 test")
    await service.handler.send(
        learner.chat_id,
        [
            Outbound("Chứng nhận của bạn", kind="document", attachment=str(certificate)),
            Outbound("Ảnh minh họa", kind="image", attachment="https://example.vn/a.png"),
            Outbound("Tệp bị thiếu", kind="document", attachment=str(tmp_path / "none.pdf")),
        ],
    )
    doc, photo = api.called("sendDocument"), api.called("sendPhoto")
    assert doc[0].params["document"] == {"filename": "chung-nhan.pdf", "size": 13}
    assert doc[0].params["caption"] == "Chứng nhận của bạn"
    assert photo[0].params["photo"] == "https://example.vn/a.png"
    # A missing file still delivers its text.
    assert api.called("sendMessage")[-1].params["text"] == "Tệp bị thiếu"
    assert api.refused() == []


async def test_a_long_reply_is_split_and_keeps_its_buttons_on_the_last_part(learner, api, service):
    long = "\n\n".join(f"Đoạn {i}." + " Trí tuệ nhân tạo & bạn." * 60 for i in range(8))
    await service.handler.send(learner.chat_id, [Outbound(long, (Choice("Về menu", "m"),))])
    calls = api.called("sendMessage", learner.chat_id)
    assert len(calls) > 1 and all(c.ok for c in calls)
    assert [("reply_markup" in c.params) for c in calls] == [False] * (len(calls) - 1) + [True]
    assert "\n\n".join(c.params["text"] for c in calls) == long


async def test_a_press_whose_reply_is_slow_is_answered_at_once_not_in_the_response(
    learner, api, monkeypatch
):
    from bot.channels.telegram import handler

    await learner.say("/start")
    monkeypatch.setattr(handler, "SPINNER_AFTER_SECONDS", 0.0)  # every reply is "slow"
    await learner.press("Đồng ý")
    learner.expect("Bạn thuộc nhóm nào?")
    answers = [c for c in api.calls[learner.mark :] if c.method == "answerCallbackQuery"]
    assert [(c.content_type == "webhook-answer", c.ok) for c in answers] == [(False, True)]


async def test_the_webhook_is_served_past_fastapis_routing_with_the_same_answers(
    service, learner, monkeypatch
):
    routed = []
    handle = APIRoute.handle

    async def spy(self, scope, receive, send):
        routed.append((scope["method"], scope["path"]))
        await handle(self, scope, receive, send)

    monkeypatch.setattr(APIRoute, "handle", spy)
    app = create_app([service])
    assert [m.cls for m in app.user_middleware] == [WebhookFastPath]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as client:
        update = learner.message_update(text="/start")
        ok = await client.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
        assert ok.status_code == 200
        assert (await client.post(PATH, json=update)).status_code == 401
        assert (await client.get("/healthz")).status_code == 200
    assert routed == [("GET", "/healthz")]  # the webhook's POSTs never reached the router
