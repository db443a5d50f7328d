"""Words of first contact (bot/flows/onboarding.py)."""

GREETING = (
    "Xin chào! Mình là trợ lý học AI tự động của chương trình «Bình dân học AI» "
    "tỉnh Thái Nguyên (AI xứ Trà). Mình là máy, không phải người. "
    "Mình giúp bạn học AI qua các bài ngắn, mỗi bài khoảng 5 phút."
)
CONSENT = (
    "Để lưu tiến độ học, mình cần lưu tên hiển thị, nhóm, xã/phường và kết quả học của bạn. "
    "Dữ liệu chỉ dùng cho việc học và báo cáo của chương trình, không chia sẻ cho ai khác. "
    "Bạn có thể xem hoặc xóa dữ liệu bất cứ lúc nào bằng lệnh /dulieu.\n\n"
    "Bạn có đồng ý không?"
)
AGREE = "Đồng ý"
DISAGREE = "Không đồng ý"
DECLINED = "Không sao. Mình không lưu gì về bạn. Khi nào muốn học, bạn gõ /start nhé."
ASK_GROUP = "Cảm ơn bạn! Bạn thuộc nhóm nào? Mình sẽ gợi ý các bài phù hợp."
ASK_COMMUNE = (
    "Bạn sống hoặc làm việc ở xã, phường nào của Thái Nguyên? "
    "Gõ tên, ví dụ: Tân Cương (không cần dấu)."
)
ASK_UNIT = "Nếu cơ quan, đơn vị của bạn có mã tham gia, bạn gõ mã đó. Không có thì chọn «Bỏ qua»."
SKIP = "Bỏ qua"
CONSENT_AGAIN = "Bạn chọn «Đồng ý» hoặc «Không đồng ý» giúp mình nhé."
GROUP_AGAIN = "Bạn chọn một nhóm trong danh sách nhé."
WHICH_COMMUNE = "Bạn ở nơi nào dưới đây? Chọn một, hoặc gõ lại tên."
START_NOW = "Học ngay"
WELCOME_BACK = "Chào bạn quay lại! Bạn muốn làm gì?"


def commune_and_unit(commune: str, unit: str) -> str:
    return f"✅ Bạn ở {commune}, đơn vị: {unit}."


def commune_then_unit(commune: str) -> str:
    return f"✅ Bạn ở {commune}.\n\n{ASK_UNIT}"


def no_commune(typed: str) -> str:
    return (
        f"Mình chưa tìm thấy xã, phường nào giống «{typed}» ở Thái Nguyên. "
        "Bạn gõ lại thử nhé, ví dụ: Đại Từ."
    )


def no_unit(code: str) -> str:
    return f"Mình chưa thấy mã «{code}». Bạn kiểm tra lại mã, hoặc chọn «Bỏ qua»."


def ready(position: str, title: str) -> str:
    return (
        "Xong rồi! Mỗi bài có vài thẻ ngắn để đọc, rồi vài câu hỏi để ôn. "
        f"Mình bắt đầu với bài {position} «{title}» nhé?"
    )
