"""Free questions: what the learner sees on "Hỏi đáp". The answers come from the AI tutor
(bot/tutor/answerer.py): retrieval over the lessons and glossary, an optional model."""

ASK_PROMPT = (
    "Bạn cứ gõ câu hỏi về AI hoặc an toàn trên mạng, ví dụ: «deepfake là gì?». "
    "Mình sẽ tìm trong các bài học."
)
