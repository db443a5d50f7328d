"""What the Zalo adapter itself says to people (the engine says everything else)."""

# Zalo has no buttons: the choices are listed (bot/channels/render.py, with the hints) and
# the learner replies with a number.
CHOOSE = "Mời bạn chọn:"  # choices that came with no text of their own

# Messages that are not text. For an unsupported message we do not know what it was, so
# the reply names nothing.
IMAGE = (
    "Mình đã nhận được ảnh, nhưng mình chỉ hiểu tin nhắn chữ thôi. "
    "Bạn gõ câu hỏi bằng chữ, hoặc trả lời bằng số thứ tự của lựa chọn nhé."
)
STICKER = (
    "Cảm ơn bạn! Mình chỉ hiểu tin nhắn chữ thôi. "
    "Bạn gõ câu hỏi bằng chữ, hoặc trả lời bằng số thứ tự của lựa chọn nhé."
)
UNSUPPORTED = (
    "Mình chưa đọc được tin nhắn này. Mình chỉ hiểu tin nhắn chữ thôi. "
    "Bạn gõ bằng chữ giúp mình nhé, hoặc gõ /menu để xem các việc có thể làm."
)
GROUP_NOTE = (
    "Chào mọi người! Mình chỉ học cùng từng người qua tin nhắn riêng, "
    "nên trong nhóm mình sẽ không trả lời. Bạn nhắn riêng cho mình để bắt đầu học nhé."
)
LINK = "Đường dẫn: {url}"  # a document or image that cannot be sent as such
