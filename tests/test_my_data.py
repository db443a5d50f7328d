"""A learner sees what is stored about them and deletes it."""

from sqlalchemy import func, select

from storage.models import AuditLog, Learner, LessonProgress, QuizAnswer


async def count(sessions, model) -> int:
    async with sessions() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_see_my_data(chat):
    await chat.onboard(group="Cán bộ, công chức, viên chức", commune="dai tu")
    await chat.say("/dulieu")
    chat.expect(
        "Tên hiển thị: Chị Lan",
        "Nhóm: Cán bộ, công chức, viên chức",
        "Xã/phường: Xã Đại Từ",
        "Đồng ý lưu dữ liệu lúc: ",
        "Bài đã học xong: 0; câu trả lời đã lưu: 0",
    )
    assert chat.labels == ["Xóa dữ liệu của tôi", "Về menu"]


async def test_delete_my_data_after_confirmation(chat, sessions):
    await chat.onboard()
    await chat.tap("Học ngay")
    await chat.read_lesson()
    await chat.finish_quiz()
    assert await count(sessions, QuizAnswer) == 4

    await chat.say("/dulieu")
    await chat.tap("Xóa dữ liệu của tôi")
    chat.expect("Bạn chắc chắn muốn xóa?")
    await chat.tap("Không, giữ lại")
    assert await count(sessions, Learner) == 1

    await chat.say("/dulieu")
    await chat.tap("Xóa dữ liệu của tôi")
    await chat.tap("Xóa hết")
    chat.expect("Đã xóa toàn bộ dữ liệu của bạn")
    for model in (Learner, LessonProgress, QuizAnswer):
        assert await count(sessions, model) == 0

    async with sessions() as s:
        entry = (
            await s.execute(select(AuditLog).where(AuditLog.action == "learner_data_deleted"))
        ).scalar_one()
    assert entry.actor.startswith("learner:")
    assert "Chị Lan" not in str(entry.detail)
    rows = entry.detail["rows"]
    assert (rows.pop("quiz_answer"), rows.pop("lesson_progress")) == (4, 1)
    assert rows.pop("review_item") == 0  # all four answers were right
    assert set(rows.values()) == {0}  # nothing else was stored

    await chat.say("/start")
    chat.expect("Bạn có đồng ý không?")
