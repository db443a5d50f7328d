"""The learner's own things: my data (see, delete) and reminder time."""

import re

from bot import actions as A
from bot import communes
from bot.certificates import service as certificates
from bot.flows.common import TO_MENU, menu
from bot.flows.context import Context
from bot.messages import Choice, Outbound
from bot.outreach import schedule
from lessons.limits import LEARNER_GROUPS

CHANNEL_NAMES = {
    "telegram": "Telegram",
    "zalo": "Zalo",
    "zalo_oa": "Zalo (Official Account)",
    "console": "Cửa sổ dòng lệnh",
}
PRESETS = (("Sáng 7:00", "0700"), ("Trưa 12:00", "1200"), ("Tối 20:00", "2000"))
_HHMM = re.compile(r"^(\d{1,2})\s*[:hg.]\s*(\d{2})$|^(\d{1,2})\s*[hg]?$")


def _fmt(ctx: Context, when) -> str:
    return ctx.local(when).strftime("%d/%m/%Y %H:%M") if when else "chưa có"


async def show_data(ctx: Context) -> list[Outbound]:
    ln = ctx.learner
    commune = communes.by_code().get(ln.commune_code) if ln.commune_code else None
    unit = await ctx.repo.unit(ln.unit_id)
    progress = await ctx.repo.progress(ln.id)
    done = sum(1 for p in progress.values() if p.completed_at)
    answers = await ctx.repo.count_answers(ln.id)
    asked = await ctx.repo.count_tutor_answers(ln.id)
    cert = await certificates.current(ctx.repo.session, ln.id)
    cert_line = "chưa có"
    if cert:
        shown = "đầy đủ" if cert.full_name_public else "viết tắt"
        cert_line = f"số {cert.number}, tên «{cert.name}», trang kiểm tra ghi tên {shown}"
    text = (
        "Dữ liệu mình đang lưu về bạn:\n"
        f"• Tên hiển thị: {ln.display_name or 'không có'}\n"
        f"• Kênh: {CHANNEL_NAMES.get(ln.channel, ln.channel)}\n"
        f"• Nhóm: {LEARNER_GROUPS.get(ln.group_code or '', 'chưa chọn')}\n"
        f"• Xã/phường: {commune.name if commune else 'chưa chọn'}\n"
        f"• Đơn vị: {unit.name if unit else 'không có'}\n"
        f"• Đồng ý lưu dữ liệu lúc: {_fmt(ctx, ln.consent_at)}\n"
        f"• Giờ nhắc học: {ln.reminder_time or 'chưa đặt'}\n"
        f"• Bài đã học xong: {done}; câu trả lời đã lưu: {answers}\n"
        f"• Câu hỏi đã gửi trợ lý (kèm câu trả lời): {asked}\n"
        f"• Giấy chứng nhận: {cert_line}\n"
        f"• Bắt đầu học: {_fmt(ctx, ln.created_at)}\n\n"
        "Mình không lưu số điện thoại và không chia sẻ dữ liệu cho ai khác."
    )
    return [Outbound(text, (Choice("Xóa dữ liệu của tôi", A.DELETE_ASK), TO_MENU))]


def ask_delete(ctx: Context) -> list[Outbound]:
    ctx.goto("delete_confirm")
    return [
        Outbound(
            "Bạn chắc chắn muốn xóa? Toàn bộ tiến độ và kết quả học sẽ mất, không lấy lại được.",
            (Choice("Xóa hết", A.DELETE_YES), Choice("Không, giữ lại", A.MENU)),
        )
    ]


async def delete(ctx: Context) -> list[Outbound]:
    if ctx.learner.state != "delete_confirm":
        return [
            Outbound("Nút này đã cũ nên mình bỏ qua. Muốn xóa dữ liệu, bạn gõ /dulieu nhé."),
            menu(),
        ]
    actor = ctx.actor
    # Certificates are revoked and their files removed; a stub keeps the QR answering.
    revoked = await certificates.revoke_for_deletion(ctx.repo.session, ctx.learner, ctx.now)
    counts = await ctx.repo.delete_learner(ctx.learner)
    counts["certificate_revoked"] = revoked
    await ctx.repo.audit(actor, "learner_data_deleted", rows=counts)
    return [Outbound("Đã xóa toàn bộ dữ liệu của bạn. Nếu muốn học lại, bạn gõ /start nhé.")]


def _reminder_choices() -> tuple[Choice, ...]:
    presets = tuple(Choice(label, A.make(A.REMIND_SET, hhmm)) for label, hhmm in PRESETS)
    return (
        *presets,
        Choice("Giờ khác", A.make(A.REMIND_SET, "other")),
        Choice("Tắt nhắc", A.make(A.REMIND_SET, "off")),
        TO_MENU,
    )


def reminders(ctx: Context) -> list[Outbound]:
    ln = ctx.learner
    if ln.reminder_time:
        days = dict(DAY_CHOICES).get(ln.reminder_days, ln.reminder_days).lower()
        current = f"Bây giờ mình nhắc bạn lúc {ln.reminder_time}, {days}."
    else:
        current = "Bạn chưa đặt giờ nhắc."
    return [Outbound(f"🔔 {current} Bạn muốn mình nhắc học lúc nào?", _reminder_choices())]


def parse_time(text: str) -> str | None:
    """'18:30', '18h30', '7h', '7' -> 'HH:MM'; None if not a time of day."""
    m = _HHMM.match(text.strip().lower())
    if not m:
        return None
    hour = int(m.group(1) or m.group(3))
    minute = int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def set_reminder(ctx: Context, value: str) -> list[Outbound]:
    if value == "off":
        ctx.learner.reminder_time = None
        ctx.learner.next_reminder_at = None
        ctx.learner.reminders_off = True  # opted out: no staff nudges either
        ctx.goto("menu")
        return [menu("Đã tắt nhắc học. Khi nào cần, bạn vào «Nhắc học» để bật lại.")]
    if value == "other":
        ctx.goto("remind_time")
        return [Outbound("Bạn gõ giờ muốn được nhắc, ví dụ 18:30.", (TO_MENU,))]
    if value.isdigit() and len(value) == 4:  # a preset's "0700"
        value = f"{value[:2]}:{value[2:]}"
    hhmm = parse_time(value)
    if hhmm is None:
        return [Outbound(f"Mình chưa hiểu giờ «{value[:20]}». Bạn gõ như 18:30 nhé.", (TO_MENU,))]
    start, end = ctx.quiet
    if schedule.is_quiet(schedule.parse_hhmm(hhmm), start, end):
        return [
            Outbound(
                f"Mình không nhắc từ {start:%H:%M} đến {end:%H:%M} để bạn nghỉ ngơi. "
                "Bạn chọn giờ khác nhé.",
                _reminder_choices(),
            )
        ]
    ctx.goto("remind_days", time=hhmm)
    return [
        Outbound(
            f"🔔 Nhắc lúc {hhmm}. Bạn muốn được nhắc vào những ngày nào?",
            tuple(Choice(label, A.make(A.REMIND_DAYS, days)) for days, label in DAY_CHOICES),
        )
    ]


DAY_CHOICES = (("1234567", "Mỗi ngày"), ("12345", "Thứ 2 – Thứ 6"), ("67", "Thứ 7, Chủ nhật"))
DAY_NAMES = {1: "thứ 2", 2: "thứ 3", 3: "thứ 4", 4: "thứ 5", 5: "thứ 6", 6: "thứ 7", 7: "chủ nhật"}


def set_days(ctx: Context, days: str) -> list[Outbound]:
    hhmm = ctx.data.get("time")
    label = dict(DAY_CHOICES).get(days)
    if ctx.learner.state != "remind_days" or not hhmm or label is None:
        return [Outbound("Nút này đã cũ nên mình bỏ qua."), *reminders(ctx)]
    ln = ctx.learner
    ln.reminder_time, ln.reminder_days = hhmm, days
    ln.reminders_ignored, ln.reminder_weekly = 0, False
    ln.reminders_off = False
    ln.next_reminder_at = schedule.next_slot(hhmm, days, ctx.now, tz=ctx.tz)
    ctx.goto("menu")
    first = ctx.local(ln.next_reminder_at)
    return [
        menu(
            f"🔔 Đã lưu: nhắc học lúc {hhmm}, {label.lower()}. Lần nhắc tới: "
            f"{first:%H:%M} {DAY_NAMES[first.isoweekday()]}, {first:%d/%m}. "
            "Hôm nào bạn đã học thì mình không nhắc."
        )
    ]
