"""Words of the learner's own things: my data, deleting it, reminders
(bot/flows/account.py)."""

CHANNEL_NAMES = {
    "telegram": "Telegram",
    "zalo": "Zalo",
    "zalo_oa": "Zalo (Official Account)",
    "console": "Cửa sổ dòng lệnh",
}
PRESETS = (("Sáng 7:00", "0700"), ("Trưa 12:00", "1200"), ("Tối 20:00", "2000"))
DAY_CHOICES = (("1234567", "Mỗi ngày"), ("12345", "Thứ 2 – Thứ 6"), ("67", "Thứ 7, Chủ nhật"))
DAY_NAMES = {1: "thứ 2", 2: "thứ 3", 3: "thứ 4", 4: "thứ 5", 5: "thứ 6", 6: "thứ 7", 7: "chủ nhật"}

NOT_YET = "chưa có"
NOT_CHOSEN = "chưa chọn"
CERT_FULL = "đầy đủ"
CERT_INITIALLED = "viết tắt"
DELETE = "Xóa dữ liệu của tôi"
DELETE_ASK = "Bạn chắc chắn muốn xóa? Toàn bộ tiến độ và kết quả học sẽ mất, không lấy lại được."
DELETE_YES = "Xóa hết"
DELETE_NO = "Không, giữ lại"
DELETE_STALE = "Muốn xóa dữ liệu, bạn gõ /dulieu nhé."
DELETED = "Đã xóa toàn bộ dữ liệu của bạn. Nếu muốn học lại, bạn gõ /start nhé."
OTHER_TIME = "Giờ khác"
REMINDERS_OFF = "Tắt nhắc"
NO_REMINDER = "Bạn chưa đặt giờ nhắc."
TURNED_OFF = "Đã tắt nhắc học. Khi nào cần, bạn vào «Nhắc học» để bật lại."
TYPE_TIME = "Bạn gõ giờ muốn được nhắc, ví dụ 18:30."


def certificate_line(number: str, name: str, shown: str) -> str:
    return f"số {number}, tên «{name}», trang kiểm tra ghi tên {shown}"


def my_data(
    *,
    name: str | None,
    channel: str,
    group: str,
    commune: str | None,
    unit: str | None,
    consent: str,
    reminder: str | None,
    done: int,
    answers: int,
    asked: int,
    cert: str,
    since: str,
) -> str:
    return (
        "Dữ liệu mình đang lưu về bạn:\n"
        f"• Tên hiển thị: {name or 'không có'}\n"
        f"• Kênh: {channel}\n"
        f"• Nhóm: {group}\n"
        f"• Xã/phường: {commune or NOT_CHOSEN}\n"
        f"• Đơn vị: {unit or 'không có'}\n"
        f"• Đồng ý lưu dữ liệu lúc: {consent}\n"
        f"• Giờ nhắc học: {reminder or 'chưa đặt'}\n"
        f"• Bài đã học xong: {done}; câu trả lời đã lưu: {answers}\n"
        f"• Câu hỏi đã gửi trợ lý (kèm câu trả lời): {asked}\n"
        f"• Giấy chứng nhận: {cert}\n"
        f"• Bắt đầu học: {since}\n\n"
        "Mình không lưu số điện thoại và không chia sẻ dữ liệu cho ai khác."
    )


def current_reminder(hhmm: str, days: str) -> str:
    return f"Bây giờ mình nhắc bạn lúc {hhmm}, {days}."


def when_to_remind(current: str) -> str:
    return f"🔔 {current} Bạn muốn mình nhắc học lúc nào?"


def bad_time(value: str) -> str:
    return f"Mình chưa hiểu giờ «{value}». Bạn gõ như 18:30 nhé."


def quiet_hours(start, end) -> str:
    return (
        f"Mình không nhắc từ {start:%H:%M} đến {end:%H:%M} để bạn nghỉ ngơi. Bạn chọn giờ khác nhé."
    )


def which_days(hhmm: str) -> str:
    return f"🔔 Nhắc lúc {hhmm}. Bạn muốn được nhắc vào những ngày nào?"


def saved(hhmm: str, days: str, first, weekday: str) -> str:
    return (
        f"🔔 Đã lưu: nhắc học lúc {hhmm}, {days}. Lần nhắc tới: "
        f"{first:%H:%M} {weekday}, {first:%d/%m}. "
        "Hôm nào bạn đã học thì mình không nhắc."
    )
