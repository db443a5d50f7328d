"""Words of /canbo, the staff menu in the chat (bot/flows/outreach.py)."""

STAFF_MENU = "Việc của cán bộ"
LEADERBOARD = "Bảng thi đua"
BROADCASTS = "Thông báo"
NEXT_PAGE = "Trang sau"
PREVIOUS_PAGE = "Trang trước"
NO_GROUP = "chưa chọn nhóm"
REMINDERS_OFF = "đã tắt nhắc"
MAY_NOT_MESSAGE = "Tài khoản này không được nhắn người học."
HOW_TO_ACT = (
    "\nChọn «Nhắc N» để trợ lý gửi người đó một lời nhắc riêng (mỗi người tối đa một "
    "lần một ngày), hoặc «Đã gọi N» khi bạn đã gọi điện hay gặp trực tiếp."
)
LEADERBOARD_HEAD = "🏆 Bảng thi đua các xã, phường (tỷ lệ học xong phần cơ bản):"
LEADERBOARD_MORE = "\nXem đầy đủ (cả đơn vị) trên trang quản trị, mục «Thi đua»."


def stalled_count(n: str) -> str:
    return f"Người học cần nhắc ({n})"


def menu(where: str) -> str:
    return (
        f"👥 Việc của cán bộ ({where}).\n"
        "Mỗi thứ Hai lúc 8:00 mình gửi bạn bản tổng kết tuần. "
        "Gõ /dangnhap để mở trang quản trị."
    )


def nobody(head: str, where: str) -> str:
    return f"{head}✅ {where} chưa có người học nào cần nhắc."


def list_head(head: str, where: str, total: str, ignored: int, days: int) -> str:
    return (
        f"{head}🔔 Người học cần nhắc ({where}): {total} người "
        f"(bỏ qua từ {ignored} lần nhắc, hoặc {days} ngày chưa học)."
    )


def days_idle(days: int) -> str:
    return f"{days} ngày chưa học"


def ignored(n: int) -> str:
    return f"bỏ qua {n} lần nhắc"


def nudged(when) -> str:
    return f"đã nhắc {when:%d/%m}"


def called(when) -> str:
    return f"đã gọi {when:%d/%m}"


def learner(pid: str) -> str:
    return f"Người học {pid}"


def nudge(i: int) -> str:
    return f"Nhắc {i}"


def mark_called(i: int) -> str:
    return f"Đã gọi {i}"
