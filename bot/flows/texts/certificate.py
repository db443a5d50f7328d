"""Words of the certificate steps (bot/flows/certificate.py)."""

EXAMPLE = "Nguyễn Văn An"
ACCEPT = "Đúng tên này"
HERE_IT_IS = "🎓 Đây là giấy chứng nhận của bạn."
PASSED = "🎓 Bạn đã đạt bài kiểm tra cuối khóa."
UNREADABLE = f"Mình chưa đọc được tên này. Bạn gõ họ và tên, chỉ gồm chữ cái, ví dụ: {EXAMPLE}."


def confirm_name(head: str, suggestion: str) -> str:
    return (
        f"{head}📜 Mình sẽ cấp giấy chứng nhận cho bạn. Tên in trên giấy là "
        f"«{suggestion}», đúng không? Nếu chưa đúng, bạn gõ họ và tên đầy đủ, có dấu "
        f"(ví dụ: {EXAMPLE})."
    )


def type_name(head: str) -> str:
    return (
        f"{head}📜 Mình sẽ cấp giấy chứng nhận cho bạn. Bạn gõ họ và tên đầy đủ, có dấu, "
        f"để in trên giấy (ví dụ: {EXAMPLE})."
    )


def initialled(short: str) -> str:
    return f"Viết tắt: {short}"


def in_full(name: str) -> str:
    return f"Đầy đủ: {name}"


def ask_public(name: str) -> str:
    return (
        f"Tên trên giấy: «{name}».\n\nAi quét mã QR trên giấy sẽ thấy trang kiểm tra "
        "của chương trình. Trang đó ghi tên bạn thế nào? Muốn sửa tên, bạn gõ lại tên."
    )


def issued(number: str) -> str:
    return (
        f"🎓 Đây là giấy chứng nhận của bạn, số {number}. Mã QR trên giấy dẫn tới "
        "trang kiểm tra. Khi cần nhận lại, bạn gõ /chungnhan."
    )


def again(number: str) -> str:
    return f"🎓 Giấy chứng nhận số {number} của bạn."


def not_yet(pct: int) -> str:
    return (
        "Giấy chứng nhận được cấp khi bạn đạt bài kiểm tra cuối khóa (đúng từ "
        f"{pct}% trở lên). Bạn học xong lộ trình rồi gõ /kiemtra nhé."
    )
