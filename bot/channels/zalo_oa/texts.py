"""What the Zalo OA adapter itself says to people (the engine says everything else).
The wording of choices is shared with the Bot Platform adapter (bot/channels/zalo/texts)."""

from bot.channels.zalo.texts import CHOOSE, LINK  # noqa: F401  (the same words on both)

IMAGE = (
    "Cảm ơn bạn đã gửi ảnh! Mình chỉ hiểu tin nhắn chữ thôi. "
    "Bạn gõ câu hỏi bằng chữ, hoặc chọn một lựa chọn ở tin nhắn trước nhé."
)
UNSUPPORTED = (
    "Mình chưa đọc được tin nhắn này. Mình chỉ hiểu tin nhắn chữ thôi. "
    "Bạn gõ bằng chữ giúp mình nhé, hoặc gõ /menu để xem các việc có thể làm."
)
