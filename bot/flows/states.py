"""The conversation states a learner can be in (Learner.state).

A StrEnum: each member is its own string, so rows stored before this enum existed load
and compare as they always did, and nothing needs migrating. The groups say which flow
owns a state.
"""

from enum import StrEnum


class State(StrEnum):
    # onboarding (bot/flows/onboarding.py)
    new = "new"
    consent = "consent"
    group = "group"
    commune = "commune"
    unit = "unit"
    # between flows
    menu = "menu"
    # a lesson (bot/flows/learning.py)
    lesson = "lesson"
    practice = "practice"
    quiz = "quiz"
    review = "review"
    exam = "exam"
    ask = "ask"
    glossary = "glossary"
    # the learner's own things (bot/flows/account.py)
    remind_time = "remind_time"
    remind_days = "remind_days"
    delete_confirm = "delete_confirm"
    # the certificate (bot/flows/certificate.py)
    cert_name = "cert_name"
    cert_public = "cert_public"
    # a staff broadcast draft (bot/flows/broadcast.py)
    bc_text = "bc_text"  # typing the announcement
    bc_link = "bc_link"  # typing an optional link
    bc_aud = "bc_aud"  # choosing the audience
    bc_commune = "bc_commune"  # typing a commune's name (province scope)
    bc_unit = "bc_unit"  # typing a unit's code
    bc_preview = "bc_preview"  # the preview: send now, schedule, edit
    bc_when = "bc_when"  # typing the date and time
    bc_confirm = "bc_confirm"  # confirming the scheduled time


ONBOARDING = (State.new, State.consent, State.group, State.commune, State.unit)
IN_LESSON = (State.lesson, State.practice, State.quiz)
CERTIFICATE = (State.cert_name, State.cert_public)
BROADCAST = (
    State.bc_text,
    State.bc_link,
    State.bc_aud,
    State.bc_commune,
    State.bc_unit,
    State.bc_preview,
    State.bc_when,
    State.bc_confirm,
)
BROADCAST_TEXT = (State.bc_text,)  # free text here keeps its line breaks and may be long
