"""Words of /dangnhap, the dashboard login link (bot/flows/staff.py)."""

NOT_STAFF = (
    "Lệnh /dangnhap chỉ dành cho cán bộ và quản trị viên của chương trình. "
    "Nếu bạn là cán bộ nòng cốt, hãy nhờ quản trị viên thêm bạn vào danh sách nhé."
)


def login_link(minutes: int, url: str) -> str:
    return (
        f"🔑 Đường dẫn đăng nhập trang quản trị, dùng được một lần trong {minutes} phút:\n"
        f"{url}\n\nĐừng chuyển đường dẫn này cho người khác."
    )
