"""What the Telegram adapter itself says to people (the engine says everything else)."""

# setMyCommands, in the order of the menu Telegram shows next to the input field.
COMMANDS = (
    ("start", "Bắt đầu, làm quen"),
    ("hoc", "Học tiếp bài đang dở"),
    ("tiendo", "Xem tiến độ học"),
    ("hoi", "Hỏi đáp về AI"),
    ("nhac", "Đặt giờ nhắc học"),
    ("chungnhan", "Nhận giấy chứng nhận"),
    ("dulieu", "Xem, xóa dữ liệu của bạn"),
    ("trogiup", "Hướng dẫn sử dụng"),
)

NON_TEXT = (
    "Mình chỉ đọc được tin nhắn chữ thôi. "
    "Bạn gõ câu hỏi bằng chữ, hoặc bấm nút ở tin nhắn trước nhé."
)
GROUP_NOTE = (
    "Chào mọi người! Mình chỉ học cùng từng người qua tin nhắn riêng, "
    "nên trong nhóm mình sẽ không trả lời. "
    "Bạn bấm vào tên mình và nhắn riêng cho mình để bắt đầu học nhé."
)
GROUP_NOTE_LINK = "Hoặc mở liên kết này: https://t.me/{username}?start"
CHOOSE = "Mời bạn chọn:"  # a keyboard with no text of its own
YOU_CHOSE = "Bạn chọn: {label}"
