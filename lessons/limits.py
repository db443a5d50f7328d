"""Limits on lesson content, chosen so every piece fits every channel.

Telegram: 4,096 characters per message, native quiz question 300, option 100,
explanation 200, callback_data 64 bytes. Zalo Bot Platform: 2,000 characters per message.
"""

CARD_MAX_CHARS = 600  # one phone screen; well under Zalo's 2,000 per message
CARDS_MIN, CARDS_MAX = 3, 6
QUIZ_MIN, QUIZ_MAX = 4, 8  # the lesson's question pool
QUIZ_DRAW = 4  # questions drawn from the pool for one lesson quiz
EXAM_MIN_PER_LESSON = 3  # final-assessment questions (exam.yaml) every lesson must have
OPTIONS_MIN, OPTIONS_MAX = 2, 4
QUESTION_MAX_CHARS = 300  # Telegram quiz poll question limit
OPTION_MAX_CHARS = 100  # Telegram quiz poll option limit
EXPLANATION_MAX_CHARS = 300
TITLE_MAX_CHARS = 80
SUMMARY_MAX_CHARS = 300
MINUTES_MIN, MINUTES_MAX = 1, 15
PRACTICE_MAX_CHARS = 600
GLOSSARY_DEFINITION_MAX_CHARS = 300
MODULE_ID_PATTERN = LESSON_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,11}$"  # ≤12 chars
QUESTION_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,7}$"  # ≤8 chars
# The longest button payload the engine builds from content ids: "a:<lesson>:<question>:<n>".
BUTTON_PAYLOAD_MAX_BYTES = 64  # Telegram callback_data limit
LEARNER_GROUPS = {
    "dan": "Người dân",
    "cb": "Cán bộ, công chức, viên chức",
    "dn": "Chủ doanh nghiệp, HTX, hộ kinh doanh",
    "che": "Nông dân trồng chè",
    "hs": "Học sinh, sinh viên",
}
ALL_GROUPS = "all"

# FAQ (lessons/content/faq.yaml): the answer fits one phone screen with the lesson line.
FAQ_QUESTION_MAX_CHARS = 200
FAQ_ANSWER_MAX_CHARS = 600
