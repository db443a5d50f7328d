"""Words of /thongbao, staff broadcasts (bot/flows/broadcast.py)."""

DROP = "Hủy soạn"
STALE = "Nút này đã cũ nên mình bỏ qua. Gõ /thongbao để soạn thông báo mới."
ROLE_GONE = "Tài khoản này không còn quyền gửi thông báo; bản soạn đã bỏ."
NONE_YET = "Bạn chưa gửi thông báo nào."
COMPOSE = "Soạn thông báo"
COMPOSE_NEW = "Soạn thông báo mới"
REFRESH = "Làm mới"
RECENT_HEAD = "📢 Thông báo gần đây của bạn:\n\n"
USE_BUTTONS = "Bạn chọn một trong các lựa chọn ở tin nhắn trước nhé."
NO_TEXT = "Mình chưa thấy nội dung. Bạn gõ nội dung thông báo nhé."
NO_LINK = "Không kèm đường dẫn"
GROUP = "Một nhóm người học"
COMMUNE = "Một xã/phường"
UNIT = "Một đơn vị"
NOT_TRAINED = "Người chưa học xong phần cơ bản"
WHICH_GROUP = "Gửi cho nhóm nào?"
TYPE_COMMUNE = "Bạn gõ tên xã/phường, ví dụ: Tân Cương."
TYPE_UNIT = "Bạn gõ mã đơn vị (mã tham gia in trên mã QR)"
OR_PICK_UNIT = ", hoặc chọn một đơn vị bên dưới."
UNIT_EXAMPLE = ", ví dụ UBND-DX."
PICK_COMMUNE = "Bạn chọn xã/phường:"
NO_SUCH_AUDIENCE = "Không tìm thấy nhóm người nhận này."
PREVIEW_HEAD = "Xem trước thông báo (người học sẽ nhận đúng như sau):"
SEND_NOW = "✅ Gửi ngay"
SCHEDULE = "🗓 Hẹn giờ gửi"
EDIT = "Sửa nội dung"
CHANGE_AUDIENCE = "Đổi người nhận"
TYPE_WHEN = "Bạn gõ ngày giờ gửi (giờ Việt Nam), ví dụ: 27/11 19:30 hoặc 27/11/2026 19:30."
CONFIRM_SCHEDULE = "✅ Xác nhận hẹn giờ"
CHANGE_TIME = "Đổi giờ"
TIME_PASSED = "Giờ hẹn vừa qua mất rồi."
SEE_MINE = "Xem thông báo của tôi"
NOT_FOUND = "Không tìm thấy thông báo này trong các thông báo của bạn."
NO = "Không"
DROPPED = "Đã bỏ bản soạn, không gửi gì."


def unit(name: str) -> str:
    return f"đơn vị {name}"


def limits(telegram: str, zalo: str) -> str:
    return f"tối đa {telegram} ký tự; người học dùng Zalo chỉ nhận {zalo} ký tự"


def cancel_button(bc_id: int) -> str:
    return f"Hủy #{bc_id}"


def compose(where: str, limits: str) -> str:
    return (
        f"📢 Soạn thông báo cho người học ({where}).\n"
        f"Bạn gõ nội dung thông báo ({limits}). Xuống dòng thoải mái."
    )


def too_long(n: str, limit: str, channel: str) -> str:
    return (
        f"Thông báo dài {n} ký tự, quá giới hạn {limit} ký tự "
        f"của {channel}. Bạn viết ngắn lại rồi gửi lại nhé."
    )


def got_text(n: str) -> str:
    return (
        f"Đã nhận nội dung ({n} ký tự). Muốn kèm đường dẫn (link), bạn gõ "
        "đường dẫn, bắt đầu bằng https://. Không cần thì chọn «Không kèm đường dẫn»."
    )


def bad_link(max_link: int) -> str:
    return (
        "Đường dẫn cần bắt đầu bằng http:// hoặc https:// và không có dấu cách "
        f"(tối đa {max_link} ký tự). Bạn gõ lại, hoặc chọn «Không kèm đường dẫn»."
    )


def everyone(where: str) -> str:
    return f"Tất cả người học ({where})"


def to_whom(where: str) -> str:
    return f"Gửi cho ai? Bạn gửi được cho người học {where}."


def no_commune(typed: str) -> str:
    return f"Mình không tìm thấy xã/phường «{typed}». Bạn gõ lại tên nhé."


def no_unit(code: str) -> str:
    return f"Không có đơn vị với mã «{code}». Bạn gõ lại nhé."


def outside_scope(where: str) -> str:
    return f"Bạn chỉ gửi được thông báo cho người học {where}. Mình không gửi và không lưu gì cả."


def nobody(label: str) -> str:
    return f"Không có người học nào ({label})."


def too_long_for(n: str, limit: str, channel: str, users: str) -> str:
    return (
        f"Thông báo dài {n} ký tự (kể cả đường dẫn), quá giới hạn "
        f"{limit} ký tự của {channel} ({users} người nhận "
        f"dùng {channel}). Bạn gõ lại nội dung ngắn hơn nhé."
    )


def recipients(label: str, total: str, per_channel: str) -> str:
    return f"Người nhận: {label}.\nSố người nhận: {total} ({per_channel})."


def sending(bc_id: int, recipients: str, label: str) -> str:
    return (
        f"✅ Thông báo #{bc_id} đang được gửi cho {recipients} người "
        f"({label}). Gửi xong mình sẽ báo kết quả; gõ /thongbao để xem tiến độ."
    )


def bad_when(typed: str) -> str:
    return f"Mình chưa hiểu «{typed}». Bạn gõ như 27/11 19:30 nhé."


def past(now) -> str:
    return (
        f"Thời điểm này đã qua (bây giờ là {now:%H:%M ngày %d/%m/%Y}). Bạn gõ giờ sau bây giờ nhé."
    )


def too_far(days: int) -> str:
    return f"Chỉ hẹn trước được tối đa {days} ngày. Bạn gõ lại nhé."


def confirm_when(when: str, label: str, count: str) -> str:
    return (
        f"🗓 Gửi lúc {when} cho {label} (hiện có "
        f"{count} người; con số được tính lại lúc gửi). "
        "Bạn xác nhận nhé?"
    )


def scheduled(bc_id: int, when: str, label: str) -> str:
    return (
        f"🗓 Đã hẹn: thông báo #{bc_id} sẽ gửi lúc {when} cho {label}. Muốn hủy, bạn gõ /thongbao."
    )


def finished(bc_id: int | str) -> str:
    return f"Thông báo #{bc_id} đã xong hoặc đã hủy rồi."


def ask_cancel(bc_id: int, label: str) -> str:
    return f"Hủy thông báo #{bc_id} ({label})? Những tin chưa gửi sẽ không được gửi nữa."


def cancel(bc_id: int) -> str:
    return f"Hủy thông báo #{bc_id}"


def cancelled(bc_id: int, delivered: str, recipients: str) -> str:
    return f"Đã hủy thông báo #{bc_id}. Đã gửi trước khi hủy: {delivered}/{recipients} người."
