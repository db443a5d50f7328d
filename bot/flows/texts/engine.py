"""Words the engine says itself, between flows (bot/engine.py)."""

ONBOARDING_FIRST = "Bạn hoàn tất vài bước làm quen trước đã nhé."
BACK_TO_EXAM = "Quay lại bài kiểm tra"
BACK_TO_LESSON = "Quay lại bài"
