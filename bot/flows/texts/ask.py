"""Words of free questions, «Hỏi đáp» (bot/flows/ask.py)."""

ASK_PROMPT = (
    "Bạn cứ gõ câu hỏi về AI hoặc an toàn trên mạng, ví dụ: «deepfake là gì?». "
    "Mình sẽ tìm trong các bài học."
)
