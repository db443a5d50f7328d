"""Words several flows share: button labels, the main menu, help, friendly refusals."""

# Button labels
CONTINUE = "Học tiếp"
CHOOSE_LESSON = "Chọn bài"
PROGRESS = "Tiến độ"
ASK = "Hỏi đáp"
GLOSSARY = "Từ điển AI"
REMIND = "Nhắc học"
HELP = "Trợ giúp"
TO_MENU = "Về menu"
MY_DATA = "Dữ liệu của tôi"
EXAM = "Kiểm tra cuối khóa"
SEE_PROGRESS = "Xem tiến độ"
LATER = "Để sau"
BACK = "Quay lại"
TO_QUESTIONS = "Làm câu hỏi ▶"

# A staff member's scope (bot/flows/outreach.py, bot/flows/broadcast.py)
PROVINCE = "toàn tỉnh"
YOUR_UNIT = "đơn vị của bạn"

MENU_PROMPT = "Bạn muốn làm gì tiếp theo?"
HELP_TEXT = (
    "Mình là trợ lý học AI tự động của chương trình «Bình dân học AI» Thái Nguyên. "
    "Mỗi bài khoảng 5 phút: đọc vài thẻ ngắn rồi trả lời câu hỏi.\n\n"
    "Các lệnh:\n"
    "/hoc – học tiếp\n"
    "/tiendo – xem tiến độ\n"
    "/hoi – hỏi đáp\n"
    "/tudien – từ điển AI\n"
    "/kiemtra – bài kiểm tra cuối khóa\n"
    "/chungnhan – giấy chứng nhận\n"
    "/nhac – nhắc học\n"
    "/dulieu – xem, xóa dữ liệu của bạn\n"
    "/menu – menu chính\n\n"
    "Nếu không có nút bấm, bạn gõ số thứ tự của lựa chọn (ví dụ 1)."
)
STALE_BUTTON = "Nút này đã cũ nên mình bỏ qua."
STALE_STEP = f"{STALE_BUTTON} Đây là bước bạn đang làm:"
EMPTY = "Mình chưa thấy chữ nào. Bạn gõ lại nhé, hoặc gõ /menu để xem các việc có thể làm."
ERROR = "Xin lỗi, mình đang gặp trục trặc. Bạn thử lại sau ít phút nhé."


def too_long(limit: int) -> str:
    return f"Tin nhắn dài quá (hơn {limit:,} ký tự). Bạn viết ngắn lại giúp mình nhé.".replace(
        ",", "."
    )


def unit_joined(name: str) -> str:
    return f"✅ Bạn đã vào đơn vị: {name}."


def commune_code(code: int | None) -> str:
    return f"xã/phường {code}"
