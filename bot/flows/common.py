"""Messages several flows share: the main menu, help, friendly refusals."""

from bot import actions as A
from bot.messages import Choice, Outbound

MENU_CHOICES = (
    Choice("Học tiếp", A.CONTINUE),
    Choice("Chọn bài", A.LIST),
    Choice("Tiến độ", A.PROGRESS),
    Choice("Hỏi đáp", A.ASK),
    Choice("Từ điển AI", A.GLOSSARY),
    Choice("Nhắc học", A.REMIND),
    Choice("Trợ giúp", A.HELP),
)
TO_MENU = Choice("Về menu", A.MENU)


def menu(text: str = "Bạn muốn làm gì tiếp theo?") -> Outbound:
    return Outbound(text, MENU_CHOICES)


def help_message() -> Outbound:
    return Outbound(
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
        "Nếu không có nút bấm, bạn gõ số thứ tự của lựa chọn (ví dụ 1).",
        (Choice("Dữ liệu của tôi", A.MYDATA), TO_MENU),
    )


STALE = Outbound("Nút này đã cũ nên mình bỏ qua. Đây là bước bạn đang làm:")
# kind "notice": a reply about the message itself; the choices offered before still hold.
EMPTY = Outbound(
    "Mình chưa thấy chữ nào. Bạn gõ lại nhé, hoặc gõ /menu để xem các việc có thể làm.",
    kind="notice",
)
ERROR = Outbound("Xin lỗi, mình đang gặp trục trặc. Bạn thử lại sau ít phút nhé.")


def too_long(limit: int) -> Outbound:
    return Outbound(
        f"Tin nhắn dài quá (hơn {limit:,} ký tự). Bạn viết ngắn lại giúp mình nhé.".replace(
            ",", "."
        ),
        kind="notice",
    )
