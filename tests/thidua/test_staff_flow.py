"""/canbo as transcripts: a commune's staff member sees their stalled learners only, nudges
one through the bot (once a day), notes a call, and cannot reach another commune's
learners, even with a forged button. Learners see their commune's rank in /tiendo."""

from sqlalchemy import select

from bot.outreach import stalled
from storage.models import AuditLog, Learner, LearnerContact, OutboxMessage
from tests.thidua.conftest import NAME_A, NOW, STAFF_A, STAFF_UNIT, vn
from tests.transcript import Chat


async def learner_id(sessions, uid: str) -> int:
    async with sessions() as s:
        return (
            await s.execute(select(Learner.id).where(Learner.channel_user_id == uid))
        ).scalar_one()


async def nudges(sessions) -> list[OutboxMessage]:
    async with sessions() as s:
        stmt = select(OutboxMessage).where(OutboxMessage.kind == "nudge")
        return list((await s.execute(stmt.order_by(OutboxMessage.id))).scalars())


async def test_staff_see_their_stalled_learners_and_nudge_one(staff_a, sessions, clock):
    await staff_a.say("/canbo")
    staff_a.expect(f"Việc của cán bộ ({NAME_A})", "thứ Hai lúc 8:00")
    await staff_a.tap("Người học cần nhắc (2)")
    staff_a.expect(f"Người học cần nhắc ({NAME_A}): 2 người")
    staff_a.expect("1. Phạm Thị Dung", "20 ngày chưa học", "đã tắt nhắc")
    staff_a.expect("2. Lê Văn Cường", "bỏ qua 3 lần nhắc", "tối đa một lần một ngày")
    staff_a.expect_not("Vũ Thị Giang", "Hoàng Văn Em", "Nguyễn Văn An")  # B's, not stalled
    assert "Nhắc 1" not in staff_a.labels  # opted out of reminders: no nudge offered
    assert "Đã gọi 1" in staff_a.labels

    await staff_a.tap("Nhắc 2")
    staff_a.expect("Đã xếp lời nhắc vào hàng gửi cho Lê Văn Cường.")
    staff_a.expect("2. Lê Văn Cường", "đã nhắc 03/12")
    [row] = await nudges(sessions)
    assert (row.user_id, row.channel, row.status) == ("a3", "telegram", "pending")
    assert row.dedup_key == f"nudge:{await learner_id(sessions, 'a3')}:20261203"
    text = row.messages[0]["text"]
    assert text.startswith("👋 Cán bộ Hà nhắn bạn: mình cùng học tiếp")
    assert "Bài tiếp theo:" in text
    assert [c[0] for c in row.messages[0]["choices"]] == ["Học ngay", "Đổi giờ nhắc"]

    # Once a day per learner, whoever asks.
    await staff_a.tap("Nhắc 2")
    staff_a.expect("Lê Văn Cường đã được nhắc hôm nay rồi")
    admin = Chat(staff_a.tutor, staff_a.catalog, user_id="900", channel="telegram")
    await admin.press(f"so:n:{await learner_id(sessions, 'a3')}:0")
    admin.expect("đã được nhắc hôm nay rồi")
    assert len(await nudges(sessions)) == 1
    clock.now = vn(4, 9)  # the next day: again
    await staff_a.say("/canbo")
    await staff_a.tap("Người học cần nhắc")
    await staff_a.tap("Nhắc 2")
    staff_a.expect("Đã xếp lời nhắc")
    assert len(await nudges(sessions)) == 2

    await staff_a.tap("Đã gọi 1")
    staff_a.expect("Đã ghi nhận: bạn đã gọi cho Phạm Thị Dung.", "đã gọi 04/12")
    async with sessions() as s:
        contacts = list((await s.execute(select(LearnerContact))).scalars())
        audit = [a.action for a in (await s.execute(select(AuditLog))).scalars()]
    assert sorted(c.kind for c in contacts) == ["called", "nudge", "nudge"]
    assert {(c.staff_channel, c.staff_user_id) for c in contacts} == {("telegram", STAFF_A)}
    assert audit.count("learner_nudged") == 2 and audit.count("learner_called") == 1


async def test_a_nudge_at_night_waits_for_the_morning(staff_a, sessions, clock):
    clock.now = vn(3, 22)
    await staff_a.press(f"so:n:{await learner_id(sessions, 'a3')}:0")
    staff_a.expect("Đã xếp lời nhắc")
    [row] = await nudges(sessions)
    assert row.next_attempt_at == vn(4, 7)  # the quiet hours end at 07:00
    assert row.dedup_key.endswith(":20261204")  # counts as the day it goes out


async def test_opted_out_and_other_communes_learners_get_nothing(staff_a, staff_b, sessions):
    dung, giang = await learner_id(sessions, "a4"), await learner_id(sessions, "b2")
    await staff_a.press(f"so:n:{dung}:0")  # a forged or old button: opted out
    staff_a.expect("Phạm Thị Dung đã tắt nhắc học nên mình không gửi lời nhắc.")
    await staff_a.press(f"so:n:{giang}:0")  # commune B's learner
    staff_a.expect("Không tìm thấy người học này trong phạm vi của bạn.")
    staff_a.expect_not("Vũ Thị Giang")
    await staff_a.press(f"so:c:{giang}:0")
    staff_a.expect("Không tìm thấy người học này trong phạm vi của bạn.")
    assert await nudges(sessions) == []
    async with sessions() as s:
        assert list((await s.execute(select(LearnerContact))).scalars()) == []

    await staff_b.say("/canbo")
    await staff_b.tap("Người học cần nhắc (1)")
    staff_b.expect("1. Vũ Thị Giang", "30 ngày chưa học")
    staff_b.expect_not("Lê Văn Cường", "Phạm Thị Dung")
    await staff_b.tap("Nhắc 1")
    staff_b.expect("Đã xếp lời nhắc vào hàng gửi cho Vũ Thị Giang.")
    # A learner's reminders turned off later: staff can no longer nudge them either.
    lan = Chat(staff_b.tutor, staff_b.catalog, user_id="b2", channel="telegram")
    await lan.say("/nhac")
    await lan.tap("Tắt nhắc")
    async with staff_b.tutor.sessions() as s:
        assert (await s.get(Learner, giang)).reminders_off is True


async def test_unit_staff_and_learners(tutor, catalog, province, sessions):
    unit = Chat(tutor, catalog, user_id=STAFF_UNIT, channel="zalo")
    await unit.say("/canbo")
    unit.expect("Việc của cán bộ (UBND phường Đức Xuân)")
    await unit.tap("Người học cần nhắc (0)")
    unit.expect("UBND phường Đức Xuân chưa có người học nào cần nhắc.")
    await unit.press(f"so:n:{await learner_id(sessions, 'a3')}:0")  # in the commune, not the unit
    unit.expect("Không tìm thấy người học này trong phạm vi của bạn.")

    learner = Chat(tutor, catalog, user_id="a3", channel="telegram")
    await learner.say("/canbo")  # not staff: the help, as /trogiup
    learner.expect("Các lệnh:")
    await learner.press("so:ls:0")
    learner.expect("Nút này đã cũ")
    learner.expect_not("Người học cần nhắc")


async def test_staff_leaderboard_in_the_chat(staff_b, sessions):
    await staff_b.say("/canbo")
    await staff_b.tap("Bảng thi đua")
    staff_b.expect(
        "🏆 Bảng thi đua", "1. Phường Đức Xuân: 20,0% (↑1)", "2. Phường Bắc Kạn: 20,0% (↓1)"
    )


async def test_tiendo_shows_the_communes_rank(tutor, catalog, province):
    learner = Chat(tutor, catalog, user_id="a3", channel="telegram")
    await learner.say("/tiendo")
    learner.expect("🏆 Phường Đức Xuân đứng thứ 1/92 trong tỉnh")


async def test_stalled_thresholds_follow_the_settings(sessions, province):
    from bot.admin.roles import Scope
    from tests.thidua.conftest import COMMUNE_A, TZ

    async with sessions() as s:
        a = Scope("commune", COMMUNE_A)
        assert await stalled.count(s, a, NOW, TZ) == 2
        assert await stalled.count(s, a, NOW, TZ, ignored=4) == 1  # a3 drops out
        assert await stalled.count(s, a, NOW, TZ, days=30) == 1  # a4 studied 20 days ago


async def test_a_learner_who_deletes_their_data_takes_the_contacts_along(
    staff_a, sessions, tutor, catalog
):
    await staff_a.press(f"so:c:{await learner_id(sessions, 'a3')}:0")
    await staff_a.press(f"so:n:{await learner_id(sessions, 'a3')}:0")
    cuong = Chat(tutor, catalog, user_id="a3", channel="telegram")
    await cuong.say("/dulieu")
    await cuong.tap("Xóa dữ liệu của tôi")
    await cuong.tap("Xóa hết")
    cuong.expect("Đã xóa toàn bộ dữ liệu của bạn.")
    async with sessions() as s:
        assert list((await s.execute(select(LearnerContact))).scalars()) == []
        assert await nudges(sessions) == []
