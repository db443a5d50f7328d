"""The tables. Times are UTC; names of people are kept only after consent."""

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def new_pid() -> str:
    """A pseudonymous learner id for exports and logs (no link to the chat id)."""
    return secrets.token_hex(5)


class LearnerStatus(StrEnum):
    onboarding = "onboarding"
    active = "active"
    unreachable = "unreachable"  # the channel says the chat is blocked or gone
    dormant = "dormant"  # stopped answering reminders


class Learner(SQLModel, table=True):
    __tablename__ = "learner"
    __table_args__ = (sa.UniqueConstraint("channel", "channel_user_id", name="uq_learner_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    pid: str = Field(default_factory=new_pid, max_length=16, unique=True)
    channel: str = Field(max_length=16)
    channel_user_id: str = Field(max_length=64)
    display_name: str | None = Field(default=None, max_length=128)
    group_code: str | None = Field(default=None, max_length=8)
    commune_code: int | None = Field(default=None, index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    consent_at: datetime | None = _ts()
    reminder_time: str | None = Field(default=None, max_length=5)  # "HH:MM", Vietnam time
    reminder_days: str = Field(default="1234567", max_length=7)  # ISO weekdays
    status: str = Field(default=LearnerStatus.onboarding, max_length=16, index=True)
    # Conversation position: which flow and step, and the choices last offered.
    state: str = Field(default="new", max_length=24)
    state_data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    choices: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _created()
    last_active_at: datetime | None = _ts()


class Unit(SQLModel, table=True):
    """An agency, enterprise or cooperative that enrols its people by join code."""

    __tablename__ = "unit"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)  # the join code, stored upper-case
    name: str = Field(max_length=200)
    commune_code: int | None = Field(default=None, index=True)
    kind: str = Field(default="agency", max_length=16)  # agency | enterprise | coop | school
    headcount: int | None = None
    created_at: datetime = _created()


class LessonProgress(SQLModel, table=True):
    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("learner_id", "lesson_id", name="uq_progress"),)

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    lesson_id: str = Field(max_length=16)
    started_at: datetime = _created()
    completed_at: datetime | None = _ts()
    attempts: int = 0  # quiz runs started
    score: int | None = None  # correct answers in the latest finished quiz
    total: int | None = None
    best_score: int | None = None


class QuizAnswer(SQLModel, table=True):
    """One answer to one quiz question; one per question per attempt."""

    __tablename__ = "quiz_answer"
    __table_args__ = (
        sa.UniqueConstraint(
            "learner_id", "lesson_id", "attempt", "question_id", name="uq_answer_once"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    lesson_id: str = Field(max_length=16)
    question_id: str = Field(max_length=8)
    attempt: int
    option: int  # index in the lesson file, not the shuffled position
    correct: bool
    answered_at: datetime = _created()


class ProcessedUpdate(SQLModel, table=True):
    """Ids of inbound updates already handled, so a redelivery is processed once."""

    __tablename__ = "processed_update"

    channel: str = Field(max_length=16, primary_key=True)
    update_id: str = Field(max_length=64, primary_key=True)
    processed_at: datetime = _created()


class AuditLog(SQLModel, table=True):
    """Who did what to personal data or on others' behalf. No message text, no names."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _created()
    actor: str = Field(max_length=64)  # e.g. "learner:3fa2c9d1e0", "admin:cli"
    action: str = Field(max_length=48, index=True)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Assessment(SQLModel, table=True):
    """One attempt at a track's final assessment. The drawn questions are fixed at the
    start, so leaving and coming back resumes the same test instead of redrawing it."""

    __tablename__ = "assessment"

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    track: str = Field(max_length=8)  # the learner group whose track it covers
    # [[lesson id, question id, [option order]], ...]
    questions: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: datetime = _created()
    finished_at: datetime | None = _ts()
    score: int | None = None
    total: int
    passed: bool | None = None


class AssessmentAnswer(SQLModel, table=True):
    __tablename__ = "assessment_answer"
    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "position", name="uq_assessment_answer_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    position: int
    lesson_id: str = Field(max_length=16)
    question_id: str = Field(max_length=8)
    option: int
    correct: bool
    answered_at: datetime = _created()
