"""/thongbao as transcripts: a staff member of commune A announces a class, previews the
exact count, sends, sees progress and the final report; schedules with an injected clock;
cancels; and is refused anything outside their scope. On SQLite and Postgres."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from bot import actions as A
from bot.outreach import broadcasts
from storage.models import AuditLog, Learner, OutboxStatus, StaffRole
from tests.broadcast.conftest import (
    A_LEARNERS,
    B_LEARNERS,
    COMMUNE_B,
    NAME_A,
    STAFF_A,
    all_broadcasts,
    compose,
    deliver_all,
    learner,
    outbox_rows,
    received,
    run_ticks,
)
from tests.transcript import Chat

CLASS = "📚 Lớp học AI tối thứ Sáu, 19:30 tại nhà văn hóa tổ 5.\nNhớ mang điện thoại nhé!"
LINK = "https://binhdanhocai.thainguyen.gov.vn/lop-hoc"


async def test_staff_announce_a_class_to_their_commune(
    staff_a, sessions, catalog, clock, api, telegram
):
    await staff_a.say("/thongbao")
    staff_a.expect("Soạn thông báo cho người học (Phường Đức Xuân)", "4.096", "2.000")
    await staff_a.say(CLASS)
    staff_a.expect("Đã nhận nội dung", "https://")
    await staff_a.say(LINK)
    staff_a.expect("Gửi cho ai?")
    assert "Một xã/phường" not in staff_a.labels  # their commune is all they have
    await staff_a.tap("Tất cả người học")
    staff_a.expect(CLASS, LINK, "Người nhận: tất cả người học, Phường Đức Xuân.")
    staff_a.expect("Số người nhận: 6 (Telegram 6).")  # the exact count
    assert await all_broadcasts(sessions) == []  # nothing stored before confirming
    await staff_a.tap("✅ Gửi ngay")
    staff_a.expect("Thông báo #1 đang được gửi cho 6 người")

    await deliver_all(sessions, catalog, clock, telegram)
    assert received(api, A_LEARNERS, "📚 Lớp học AI") == dict.fromkeys(A_LEARNERS, 1)
    assert received(api, B_LEARNERS, "📚 Lớp học AI") == dict.fromkeys(B_LEARNERS, 0)
    sent = api.called("sendMessage", chat_id=7001, ok=True)[0].params["text"]
    assert sent == f"{CLASS}\n\n{LINK}"  # exactly as previewed, line breaks kept

    [report] = [c.params["text"] for c in api.called("sendMessage", chat_id=int(STAFF_A))]
    assert report.startswith("📢 Thông báo #1 đã gửi xong")
    assert "Đã nhận: 6/6" in report and "Đã chặn trợ lý: 0" in report
    await staff_a.say("/thongbao")
    staff_a.expect("#1 «📚 Lớp học AI", "đã xong: đã gửi 6/6")

    [bc] = await all_broadcasts(sessions)
    assert (bc.status, bc.recipients, bc.delivered, bc.blocked, bc.failed) == ("done", 6, 6, 0, 0)
    async with sessions() as s:
        audit = list((await s.execute(select(AuditLog).order_by(AuditLog.id))).scalars())
    entries = {a.action: a for a in audit if a.action.startswith("broadcast_")}
    assert set(entries) == {"broadcast_created", "broadcast_finished"}
    created, finished = entries["broadcast_created"], entries["broadcast_finished"]
    assert created.actor == finished.actor == f"staff:telegram:{STAFF_A}"
    assert created.detail["audience"]["filter"] == {"commune": 1840}
    assert created.detail["recipients"] == 6 and created.detail["channels"] == {"telegram": 6}
    assert finished.detail["outcome"]["delivered"] == 6
    assert finished.detail["started_at"] and finished.detail["finished_at"]
    assert all("Lớp học" not in str(a.detail) for a in audit)  # metadata only, no text


async def test_progress_while_sending(staff_a, sessions, catalog, clock, api, telegram):
    from bot.outreach.dispatcher import Dispatcher

    await compose(staff_a, CLASS)
    await staff_a.tap("Tất cả người học")
    await staff_a.tap("✅ Gửi ngay")
    await run_ticks(sessions, catalog, clock)
    dispatcher = Dispatcher(sessions, {"telegram": telegram}, {"telegram": 0}, clock=clock)
    await dispatcher.run_once(limit=4)
    await staff_a.tap("Xem tiến độ")
    staff_a.expect("đang gửi: đã gửi 4/6")
    assert "Hủy #1" in staff_a.labels


async def test_a_learner_typing_thongbao_gets_help(tutor, catalog, province, sessions):
    learner_chat = Chat(tutor, catalog, user_id="7001", channel="telegram")
    await learner_chat.say("/thongbao")
    learner_chat.expect("Các lệnh:", "/hoc")
    learner_chat.expect_not("thông báo")
    await learner_chat.press(A.make(A.BROADCAST, "a", "all"))  # a forged button
    learner_chat.expect("Nút này đã cũ")
    async with sessions() as s:
        row = (await s.execute(select(Learner).where(Learner.channel_user_id == "7001"))).one()[0]
    assert row.state == "menu"
    assert await all_broadcasts(sessions) == []


async def test_staff_of_a_cannot_reach_commune_b(staff_a, sessions, province):
    await compose(staff_a, CLASS)
    before = await _state(sessions, STAFF_A)
    # A forged button naming commune B, then one naming unit UB: refused, nothing changes.
    for forged in (f"bc:a:c:{COMMUNE_B}", f"bc:a:u:{province['UB']}", "bc:a:u:99999"):
        await staff_a.press(forged)
        staff_a.expect(f"Bạn chỉ gửi được thông báo cho người học {NAME_A}")
        staff_a.expect("không gửi và không lưu gì")
        assert await _state(sessions, STAFF_A) == before
    # Typing unit B's code is refused the same way.
    await staff_a.tap("Một đơn vị")
    assert staff_a.labels[0] == "UBND phường Đức Xuân"  # only the units of commune A
    await staff_a.say("UB")
    staff_a.expect(f"Bạn chỉ gửi được thông báo cho người học {NAME_A}")
    # A forged "send" without a preview is refused too.
    await staff_a.press("bc:go")
    staff_a.expect("Nút này đã cũ")
    assert await all_broadcasts(sessions) == []
    # Their own unit is fine (one learner of A is in UA).
    await staff_a.say("UA")
    staff_a.expect("Người nhận: tất cả người học, đơn vị UBND phường Đức Xuân.")
    staff_a.expect("Số người nhận: 1 (Telegram 1).")


async def test_unit_staff_reach_only_their_unit(tutor, catalog, province, sessions):
    unit_staff = Chat(tutor, catalog, user_id="400", channel="telegram")
    await compose(unit_staff, CLASS)
    assert "Một đơn vị" not in unit_staff.labels and "Một xã/phường" not in unit_staff.labels
    await unit_staff.press("bc:a:c:1840")  # their unit's own commune: still too wide
    unit_staff.expect("Bạn chỉ gửi được thông báo cho người học đơn vị UBND phường Đức Xuân")
    await unit_staff.tap("Tất cả người học")
    unit_staff.expect("Số người nhận: 1 (Telegram 1).")


async def test_admin_picks_a_commune_and_a_group(admin, sessions):
    await compose(admin, CLASS)
    await admin.tap("Một xã/phường")
    await admin.say("bac kan")
    await admin.tap("Phường Bắc Kạn")
    admin.expect("Người nhận: tất cả người học, Phường Bắc Kạn.", "Số người nhận: 4")
    await admin.tap("Đổi người nhận")
    await admin.tap("Một nhóm người học")
    await admin.tap("Nông dân trồng chè")
    admin.expect("nhóm Nông dân trồng chè, toàn tỉnh", "Số người nhận: 1")


async def test_over_long_text_is_refused_with_the_limit(staff_a, sessions):
    await staff_a.say("/thongbao")
    await staff_a.say("A" * 4097)
    staff_a.expect("Thông báo dài 4.097 ký tự, quá giới hạn 4.096 ký tự của Telegram")
    await staff_a.say("Đ" * 2500)  # fits Telegram; commune A has only Telegram learners
    await staff_a.tap("Không kèm đường dẫn")
    await staff_a.tap("Tất cả người học")
    staff_a.expect("Số người nhận: 6")
    # A Zalo learner joins commune A: 2,500 characters no longer fit everyone.
    async with sessions() as s, s.begin():
        s.add(learner(9001, 1840, channel="zalo"))
    await staff_a.tap("Đổi người nhận")
    await staff_a.tap("Tất cả người học")
    staff_a.expect("Thông báo dài 2.500 ký tự (kể cả đường dẫn), quá giới hạn 2.000 ký tự của Zalo")
    # The audience is kept: a shorter text goes straight back to the preview.
    await staff_a.say("Ngắn thôi.")
    await staff_a.tap("Không kèm đường dẫn")
    staff_a.expect("Số người nhận: 7 (Telegram 6, Zalo 1).")
    assert await all_broadcasts(sessions) == []


async def test_bad_links_are_refused(staff_a):
    await staff_a.say("/thongbao")
    await staff_a.say(CLASS)
    for bad in ("www.example.vn", "https://a b.vn", "javascript:alert(1)"):
        await staff_a.say(bad)
        staff_a.expect("Đường dẫn cần bắt đầu bằng http:// hoặc https://")
    await staff_a.say("https://example.vn/a?b=1")
    staff_a.expect("Gửi cho ai?")


async def test_schedule_with_an_injected_clock(staff_a, sessions, catalog, clock, api, telegram):
    await compose(staff_a, CLASS)
    await staff_a.tap("Tất cả người học")
    await staff_a.tap("🗓 Hẹn giờ gửi")
    await staff_a.say("26/11 09:00")  # now is 13:00 on 26/11 in Vietnam
    staff_a.expect("Thời điểm này đã qua (bây giờ là 13:00 ngày 26/11/2026)")
    await staff_a.say("mai nhé")
    staff_a.expect("Mình chưa hiểu")
    await staff_a.say("27/11 19:30")
    staff_a.expect("Gửi lúc 19:30 ngày 27/11/2026", "hiện có 6 người")
    await staff_a.tap("✅ Xác nhận hẹn giờ")
    staff_a.expect("Đã hẹn: thông báo #1 sẽ gửi lúc 19:30 ngày 27/11/2026")
    [bc] = await all_broadcasts(sessions)
    assert bc.status == "scheduled"
    assert bc.scheduled_at == datetime(2026, 11, 27, 12, 30, tzinfo=UTC)

    clock.now = bc.scheduled_at - timedelta(minutes=1)
    await deliver_all(sessions, catalog, clock, telegram)
    assert await outbox_rows(sessions) == [] and not api.called("sendMessage")
    # A learner joins before the time: the audience is counted when sending starts.
    async with sessions() as s, s.begin():
        s.add(learner(7100, 1840))
    clock.now = bc.scheduled_at
    await deliver_all(sessions, catalog, clock, telegram)
    assert received(api, [*A_LEARNERS, "7100"], "📚") == dict.fromkeys([*A_LEARNERS, "7100"], 1)
    [bc] = await all_broadcasts(sessions)
    assert (bc.status, bc.recipients, bc.delivered) == ("done", 7, 7)
    assert bc.started_at == bc.scheduled_at
    async with sessions() as s:
        actions = [a.action for a in (await s.execute(select(AuditLog))).scalars()]
    assert {"broadcast_created", "broadcast_scheduled", "broadcast_finished"} <= set(actions)


async def test_cancel_a_scheduled_broadcast(staff_a, sessions, catalog, clock, api, telegram):
    await compose(staff_a, CLASS)
    await staff_a.tap("Tất cả người học")
    await staff_a.tap("🗓 Hẹn giờ gửi")
    await staff_a.say("27/11/2026 19:30")
    await staff_a.tap("✅ Xác nhận hẹn giờ")
    await staff_a.say("/thongbao")
    staff_a.expect("#1 «📚 Lớp học AI", "hẹn gửi lúc 19:30 ngày 27/11/2026, khoảng 6 người")
    await staff_a.tap("Hủy #1")
    staff_a.expect("Những tin chưa gửi sẽ không được gửi nữa.")
    await staff_a.tap("Hủy thông báo #1")
    staff_a.expect("Đã hủy thông báo #1. Đã gửi trước khi hủy: 0/6 người.")
    await staff_a.press("bc:xy:1")  # pressed twice: nothing more to cancel
    staff_a.expect("đã xong hoặc đã hủy rồi")
    clock.now += timedelta(days=2)
    await deliver_all(sessions, catalog, clock, telegram)
    assert not api.called("sendMessage")
    async with sessions() as s:
        [entry] = (
            await s.execute(select(AuditLog).where(AuditLog.action == "broadcast_cancelled"))
        ).scalars()
    assert entry.actor == f"staff:telegram:{STAFF_A}"
    assert entry.detail["outcome"]["delivered"] == 0


async def test_cancel_a_running_broadcast(staff_a, sessions, catalog, clock, api, telegram):
    from bot.outreach.dispatcher import Dispatcher

    await compose(staff_a, CLASS)
    await staff_a.tap("Tất cả người học")
    await staff_a.tap("✅ Gửi ngay")
    await run_ticks(sessions, catalog, clock)
    dispatcher = Dispatcher(sessions, {"telegram": telegram}, {"telegram": 0}, clock=clock)
    assert await dispatcher.run_once(limit=2) == 2
    await staff_a.say("/thongbao")
    await staff_a.tap("Hủy #1")
    await staff_a.tap("Hủy thông báo #1")
    staff_a.expect("Đã hủy thông báo #1. Đã gửi trước khi hủy: 2/6 người.")
    await deliver_all(sessions, catalog, clock, telegram)
    assert sum(received(api, A_LEARNERS, "📚").values()) == 2
    statuses = sorted(r.status for r in await outbox_rows(sessions, 1))
    assert statuses == [OutboxStatus.cancelled] * 4 + [OutboxStatus.sent] * 2
    [bc] = await all_broadcasts(sessions)
    assert (bc.status, bc.delivered) == ("cancelled", 2)
    assert not api.called("sendMessage", chat_id=int(STAFF_A))  # no "finished" report


async def test_only_the_author_or_an_admin_may_cancel(staff_a, staff_b, admin, sessions):
    await compose(staff_a, CLASS)
    await staff_a.tap("Tất cả người học")
    await staff_a.tap("✅ Gửi ngay")
    for forged in ("bc:x:1", "bc:xy:1"):
        await staff_b.press(forged)
        staff_b.expect("Không tìm thấy thông báo này trong các thông báo của bạn.")
    [bc] = await all_broadcasts(sessions)
    assert bc.status == "queueing"
    await admin.press("bc:xy:1")
    admin.expect("Đã hủy thông báo #1.")


async def test_a_removed_role_ends_the_draft_and_the_schedule(
    staff_a, sessions, catalog, clock, telegram, api
):
    await compose(staff_a, CLASS)
    await staff_a.tap("Tất cả người học")
    await staff_a.tap("🗓 Hẹn giờ gửi")
    await staff_a.say("27/11 08:00")
    await staff_a.tap("✅ Xác nhận hẹn giờ")
    await compose(staff_a, "Bản nháp thứ hai")
    async with sessions() as s, s.begin():
        await s.execute(delete(StaffRole).where(StaffRole.channel_user_id == STAFF_A))
    await staff_a.tap("Tất cả người học")  # mid-draft: no longer staff
    staff_a.expect("không còn quyền gửi thông báo; bản soạn đã bỏ")
    staff_a.expect_not("Số người nhận")
    clock.now = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    await deliver_all(sessions, catalog, clock, telegram)
    assert not api.called("sendMessage")
    [bc] = await all_broadcasts(sessions)
    assert bc.status == "cancelled"
    async with sessions() as s:
        [entry] = (
            await s.execute(select(AuditLog).where(AuditLog.action == "broadcast_cancelled"))
        ).scalars()
    assert entry.actor == broadcasts.WORKER_ACTOR and entry.detail["reason"] == "author_not_allowed"


async def test_leaving_the_draft_gives_back_where_they_were(staff_a, sessions):
    await staff_a.onboard()  # the staff member is a learner too
    await staff_a.say("/thongbao")
    await staff_a.say(CLASS)
    await staff_a.say("/hoc")  # another command: the draft is dropped
    staff_a.expect_not("Gửi cho ai")
    assert (await _state(sessions, STAFF_A))[0] in ("lesson", "menu", "quiz")
    await staff_a.say("/thongbao")
    await staff_a.tap("Hủy soạn")
    staff_a.expect("Đã bỏ bản soạn, không gửi gì.")
    assert await all_broadcasts(sessions) == []


async def test_the_audience_rules(admin, sessions, catalog):
    """Consent given, onboarding finished, not unreachable; dormant learners included;
    'not finished the core' leaves out who completed every core lesson."""
    from bot import policy
    from storage.models import LessonProgress
    from tests.broadcast.conftest import NOW

    async with sessions() as s, s.begin():
        s.add_all(
            [
                learner(7201, 1840, status="dormant"),
                learner(7202, 1840, status="unreachable"),
                learner(7203, 1840, status="onboarding"),
                learner(7204, 1840, consent_at=None),
                learner(7205, 1840, channel="console"),
            ]
        )
        trained = await s.execute(select(Learner).where(Learner.channel_user_id == "7003"))
        trained_id = trained.scalar_one().id
        s.add_all(
            LessonProgress(learner_id=trained_id, lesson_id=lid, completed_at=NOW)
            for lid in policy.core_lessons(catalog)
        )
    await compose(admin, CLASS)
    await admin.tap("Một xã/phường")
    await admin.say("Đức Xuân")
    await admin.tap("Phường Đức Xuân")
    admin.expect("Số người nhận: 7 (Telegram 7).")  # 6 + the dormant one
    await admin.tap("Đổi người nhận")
    await admin.tap("Người chưa học xong phần cơ bản")
    admin.expect("người chưa học xong phần cơ bản, toàn tỉnh", "Số người nhận: 10")  # 11 - 1


async def test_typed_numbers_work_without_buttons(tutor, catalog, province, sessions):
    """On Zalo there are no buttons: the same flow by typed numbers."""
    zalo_staff = Chat(tutor, catalog, user_id="500", channel="zalo")
    async with sessions() as s, s.begin():
        s.add(StaffRole(channel="zalo", channel_user_id="500", role="staff", scope="commune",
                        commune_code=1840))  # fmt: skip
    await zalo_staff.say("/thongbao")
    await zalo_staff.say("Họp tổ lúc 8:00 sáng mai.")
    await zalo_staff.say("1")  # «Không kèm đường dẫn»
    await zalo_staff.say("1")  # «Tất cả người học»
    zalo_staff.expect("Số người nhận: 6")
    await zalo_staff.say("1")  # «✅ Gửi ngay»
    zalo_staff.expect("Thông báo #1 đang được gửi cho 6 người")
    [bc] = await all_broadcasts(sessions)
    assert bc.author_channel == "zalo" and bc.text == "Họp tổ lúc 8:00 sáng mai."


async def _state(sessions, user_id: str):
    async with sessions() as s:
        row = (
            await s.execute(select(Learner).where(Learner.channel_user_id == user_id))
        ).scalar_one()
    return row.state, row.state_data
