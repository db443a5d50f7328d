"""The tables. Times are UTC; names of people are kept only after consent."""

import secrets
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import JSON, Column, Field, SQLModel

from storage.types import Col, UTCDateTime, utcnow


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class TableModel(SQLModel):
    """The base of the tables: SQLModel sets `__table__` on each but does not declare it.
    A table's fields are annotated `Col[...]` (storage/types.py) so that queries type-check."""

    if TYPE_CHECKING:
        __table__: ClassVar[sa.Table]


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def stored_id(row: _Row) -> int:
    """The id of a row read from or flushed to the database, where it is never None."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id: not stored yet")
    return row.id


def new_pid() -> str:
    """A pseudonymous learner id for exports and logs (no link to the chat id)."""
    return secrets.token_hex(5)


class LearnerStatus(StrEnum):
    onboarding = "onboarding"
    active = "active"
    unreachable = "unreachable"  # the channel says the chat is blocked or gone
    dormant = "dormant"  # stopped answering reminders


class Learner(TableModel, table=True):
    __tablename__ = "learner"
    __table_args__ = (sa.UniqueConstraint("channel", "channel_user_id", name="uq_learner_chat"),)

    id: Col[int | None] = Field(default=None, primary_key=True)
    pid: Col[str] = Field(default_factory=new_pid, max_length=16, unique=True)
    channel: Col[str] = Field(max_length=16)
    channel_user_id: Col[str] = Field(max_length=64)
    display_name: Col[str | None] = Field(default=None, max_length=128)
    group_code: Col[str | None] = Field(default=None, max_length=8)
    commune_code: Col[int | None] = Field(default=None, index=True)
    unit_id: Col[int | None] = Field(default=None, foreign_key="unit.id", index=True)
    consent_at: Col[datetime | None] = _ts()
    reminder_time: Col[str | None] = Field(default=None, max_length=5)  # "HH:MM", Vietnam time
    reminder_days: Col[str] = Field(default="1234567", max_length=7)  # ISO weekdays
    # When the next reminder is due (UTC); None: no reminders. Not indexed here: the
    # tick scans reminder_due, which triggers keep in step with this column (0013).
    next_reminder_at: Col[datetime | None] = _ts()
    reminders_ignored: Col[int] = Field(default=0)  # reminders in a row without a reply
    reminder_weekly: Col[bool] = Field(
        default=False
    )  # backed off to weekly after 3 ignored reminders
    last_study_on: Col[str | None] = Field(default=None, max_length=10)  # Vietnam date, ISO
    streak: Col[int] = Field(default=0)  # days in a row with a lesson or a review
    best_streak: Col[int] = Field(default=0)
    status: Col[str] = Field(default=LearnerStatus.onboarding, max_length=16, index=True)
    # Conversation position: which flow and step, and the choices last offered.
    state: Col[str] = Field(default="new", max_length=24)
    state_data: Col[dict] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    choices: Col[list] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: Col[datetime] = _created()
    last_active_at: Col[datetime | None] = _ts()
    # Milestones (bot/admin/milestones.py, from bot/policy.py's definitions), stamped when
    # reached so the leaderboard and funnel count one table, also "as of" a past date.
    first_lesson_at: Col[datetime | None] = _ts()
    half_track_at: Col[datetime | None] = _ts()
    trained_at: Col[datetime | None] = _ts()
    proficient_at: Col[datetime | None] = _ts()
    # Chose "Tắt nhắc": no reminders and no staff nudges (unset reminders are not opting out)
    reminders_off: Col[bool] = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class ReminderDue(TableModel, table=True):
    """The reminder tick's schedule: one narrow row per active learner with a next
    reminder, indexed by when it is due. Written only by database triggers on learner
    (migration 0013) and, on Postgres, on lesson_progress and review_item (0015), in the
    same transaction as the change; the tick scans this instead of the wide learner row
    and its many indexes."""

    __tablename__ = "reminder_due"

    learner_id: Col[int] = Field(
        sa_column=Column(
            sa.Integer, sa.ForeignKey("learner.id", ondelete="CASCADE"), primary_key=True
        )
    )
    due_at: Col[datetime] = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    channel: Col[str] = Field(max_length=16)
    # Postgres only (triggers of migration 0015; NULL on SQLite): what the tick's reminder
    # says, so that its claim reads no other table. The completed lesson ids (comma-
    # separated, '' for none) and the review items' due times (sorted).
    done: Col[str | None] = Field(default=None, sa_column=Column(sa.Text(), nullable=True))
    reviews: Col[list[datetime] | None] = Field(
        default=None,
        sa_column=Column(
            postgresql.ARRAY(sa.DateTime(timezone=True)).with_variant(sa.JSON(), "sqlite"),
            nullable=True,
        ),
    )


class Unit(TableModel, table=True):
    """An agency, enterprise or cooperative that enrols its people by join code."""

    __tablename__ = "unit"

    id: Col[int | None] = Field(default=None, primary_key=True)
    code: Col[str] = Field(max_length=32, unique=True)  # the join code, stored upper-case
    name: Col[str] = Field(max_length=200)
    commune_code: Col[int | None] = Field(default=None, index=True)
    kind: Col[str] = Field(default="agency", max_length=16)  # agency | enterprise | coop | school
    headcount: Col[int | None] = Field(default=None)
    created_at: Col[datetime] = _created()


class LessonProgress(TableModel, table=True):
    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("learner_id", "lesson_id", name="uq_progress"),)

    id: Col[int | None] = Field(default=None, primary_key=True)
    learner_id: Col[int] = Field(foreign_key="learner.id", index=True)
    lesson_id: Col[str] = Field(max_length=16)
    started_at: Col[datetime] = _created()
    completed_at: Col[datetime | None] = _ts()
    attempts: Col[int] = Field(default=0)  # quiz runs started
    score: Col[int | None] = Field(default=None)  # correct answers in the latest finished quiz
    total: Col[int | None] = Field(default=None)
    best_score: Col[int | None] = Field(default=None)


class QuizAnswer(TableModel, table=True):
    """One answer to one quiz question; one per question per attempt."""

    __tablename__ = "quiz_answer"
    __table_args__ = (
        sa.UniqueConstraint(
            "learner_id", "lesson_id", "attempt", "question_id", name="uq_answer_once"
        ),
    )

    id: Col[int | None] = Field(default=None, primary_key=True)
    learner_id: Col[int] = Field(foreign_key="learner.id", index=True)
    lesson_id: Col[str] = Field(max_length=16)
    question_id: Col[str] = Field(max_length=8)
    attempt: Col[int]
    option: Col[int]  # index in the lesson file, not the shuffled position
    correct: Col[bool]
    answered_at: Col[datetime] = _created()


class ProcessedUpdate(TableModel, table=True):
    """Ids of inbound updates already handled, so a redelivery is processed once.

    `channel` is the channel ("telegram", "zalo", "console") for update ids, which the
    worker prunes after PROCESSED_UPDATE_RETENTION_DAYS. A "channel:what" namespace
    (with a colon, e.g. "telegram:group") holds notes remembered for good, never pruned.
    """

    __tablename__ = "processed_update"

    channel: Col[str] = Field(max_length=16, primary_key=True)
    update_id: Col[str] = Field(max_length=64, primary_key=True)
    processed_at: Col[datetime] = _created()


class InboxEvent(TableModel, table=True):
    """An event a polling channel fetched and has not finished handling. Zalo's
    getUpdates has no offset to confirm: an event is the platform's no more once it is
    handed out, so it is kept here first and deleted once handled; a process that dies
    meanwhile handles what is left at its next start (bot/channels/inbox.py)."""

    __tablename__ = "inbox_event"

    id: Col[int | None] = Field(default=None, primary_key=True)
    channel: Col[str] = Field(max_length=16, index=True)
    body: Col[dict] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: Col[datetime] = _created()


class AuditLog(TableModel, table=True):
    """Who did what to personal data or on others' behalf. No message text, no names."""

    __tablename__ = "audit_log"

    id: Col[int | None] = Field(default=None, primary_key=True)
    at: Col[datetime] = _created()
    actor: Col[str] = Field(max_length=64)  # e.g. "learner:3fa2c9d1e0", "admin:cli"
    action: Col[str] = Field(max_length=48, index=True)
    detail: Col[dict] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Assessment(TableModel, table=True):
    """One attempt at a track's final assessment. The drawn questions are fixed at the
    start, so leaving and coming back resumes the same test instead of redrawing it."""

    __tablename__ = "assessment"

    id: Col[int | None] = Field(default=None, primary_key=True)
    learner_id: Col[int] = Field(foreign_key="learner.id", index=True)
    track: Col[str] = Field(max_length=8)  # the learner group whose track it covers
    # [[lesson id, question id, [option order], "exam"], ...]: "exam" marks a question of
    # the final-assessment bank (exam.yaml); entries without it (attempts started before the
    # bank existed) name lesson-quiz questions.
    questions: Col[list] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: Col[datetime] = _created()
    finished_at: Col[datetime | None] = _ts()
    score: Col[int | None] = Field(default=None)
    total: Col[int]
    passed: Col[bool | None] = Field(default=None)


class AssessmentAnswer(TableModel, table=True):
    __tablename__ = "assessment_answer"
    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "position", name="uq_assessment_answer_once"),
    )

    id: Col[int | None] = Field(default=None, primary_key=True)
    assessment_id: Col[int] = Field(foreign_key="assessment.id", index=True)
    position: Col[int]
    lesson_id: Col[str] = Field(max_length=16)
    question_id: Col[str] = Field(max_length=8)
    option: Col[int]
    correct: Col[bool]
    answered_at: Col[datetime] = _created()


class ReviewItem(TableModel, table=True):
    """A question answered wrong, coming back for review (Leitner boxes 1-3)."""

    __tablename__ = "review_item"
    __table_args__ = (
        sa.UniqueConstraint("learner_id", "lesson_id", "question_id", name="uq_review_item"),
    )

    id: Col[int | None] = Field(default=None, primary_key=True)
    learner_id: Col[int] = Field(foreign_key="learner.id", index=True)
    lesson_id: Col[str] = Field(max_length=16)
    question_id: Col[str] = Field(max_length=8)
    box: Col[int] = Field(default=1)  # 1: back after 1 day, 2: after 3 days, 3: after 7 days
    due_at: Col[datetime] = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"  # claimed by a dispatcher until claimed_until
    sent = "sent"
    blocked = "blocked"  # the chat is unreachable (403)
    failed = "failed"  # gave up after MAX_ATTEMPTS
    cancelled = "cancelled"  # its broadcast was cancelled before it was sent
    skipped = "skipped"  # not sent on purpose; `error` says why (e.g. outside_48h_window)


class OutboxMessage(TableModel, table=True):
    """A message to send later through a channel: reminders, reviews, broadcasts.

    The dedup key makes writing it idempotent (two schedulers cannot queue the same
    reminder twice); the status makes sending resumable after a crash.
    """

    __tablename__ = "outbox"
    # The dispatcher's claims (migration 0014): partial indexes hold only the rows a
    # claim may take, in the order it takes them, so a claim reads its batch and no more
    # however many rows wait, and a sent row leaves them.
    __table_args__ = (
        sa.Index(
            "ix_outbox_pending",
            "next_attempt_at",
            "id",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
        sa.Index(
            "ix_outbox_sending",
            "claimed_until",
            postgresql_where=sa.text("status = 'sending'"),
            sqlite_where=sa.text("status = 'sending'"),
        ),
    )

    id: Col[int | None] = Field(default=None, primary_key=True)
    dedup_key: Col[str] = Field(max_length=96, unique=True)
    channel: Col[str] = Field(max_length=16)
    user_id: Col[str] = Field(max_length=64)  # the channel's chat id
    learner_id: Col[int | None] = Field(default=None, index=True)
    kind: Col[str] = Field(max_length=16)  # reminder | broadcast
    broadcast_id: Col[int | None] = Field(default=None, index=True)
    messages: Col[list] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: Col[str] = Field(default=OutboxStatus.pending, max_length=12)
    attempts: Col[int] = Field(default=0)
    next_attempt_at: Col[datetime] = _created()
    claimed_until: Col[datetime | None] = _ts()
    created_at: Col[datetime] = _created()
    sent_at: Col[datetime | None] = _ts()
    error: Col[str | None] = Field(default=None, max_length=200)


# --- Admin: roles, login links, web sessions, API tokens, target bases (issue 8) --------
# Roles reference a chat (channel + user id), not the learner row: a staff member who
# deletes their learning data keeps their role, and revoking a role touches no learning
# data. Tokens are stored only as SHA-256 hashes.


class StaffRole(TableModel, table=True):
    """An admin (whole province) or a staff member scoped to the province, a commune or a
    unit. One role per chat."""

    __tablename__ = "staff_role"
    __table_args__ = (sa.UniqueConstraint("channel", "channel_user_id", name="uq_staff_chat"),)

    id: Col[int | None] = Field(default=None, primary_key=True)
    channel: Col[str] = Field(max_length=16)
    channel_user_id: Col[str] = Field(max_length=64)
    role: Col[str] = Field(max_length=8)  # admin | staff
    scope: Col[str] = Field(default="province", max_length=8)  # province | commune | unit
    commune_code: Col[int | None] = Field(default=None, index=True)
    unit_id: Col[int | None] = Field(default=None, foreign_key="unit.id", index=True)
    name: Col[str | None] = Field(default=None, max_length=128)  # how the dashboard greets them
    created_at: Col[datetime] = _created()
    created_by: Col[str] = Field(default="admin:cli", max_length=64)
    last_seen_at: Col[datetime | None] = _ts()  # last login or dashboard use


class LoginToken(TableModel, table=True):
    """A one-time dashboard login link (sent by the bot on /dangnhap)."""

    __tablename__ = "login_token"

    id: Col[int | None] = Field(default=None, primary_key=True)
    token_hash: Col[str] = Field(max_length=64, unique=True)
    channel: Col[str] = Field(max_length=16)
    channel_user_id: Col[str] = Field(max_length=64)
    created_at: Col[datetime] = _created()
    expires_at: Col[datetime] = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: Col[datetime | None] = _ts()


class WebSession(TableModel, table=True):
    """A dashboard session; the cookie holds the token, the table only its hash."""

    __tablename__ = "web_session"

    id: Col[int | None] = Field(default=None, primary_key=True)
    token_hash: Col[str] = Field(max_length=64, unique=True)
    channel: Col[str] = Field(max_length=16)
    channel_user_id: Col[str] = Field(max_length=64)
    csrf_token: Col[str] = Field(max_length=64)
    created_at: Col[datetime] = _created()
    expires_at: Col[datetime] = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class ApiToken(TableModel, table=True):
    """A bearer token for the admin API, acting as the role holder it was made for."""

    __tablename__ = "api_token"

    id: Col[int | None] = Field(default=None, primary_key=True)
    token_hash: Col[str] = Field(max_length=64, unique=True)
    name: Col[str] = Field(max_length=64)
    channel: Col[str] = Field(max_length=16)
    channel_user_id: Col[str] = Field(max_length=64)
    created_at: Col[datetime] = _created()
    created_by: Col[str] = Field(default="admin:cli", max_length=64)
    expires_at: Col[datetime | None] = _ts()
    revoked_at: Col[datetime | None] = _ts()
    last_used_at: Col[datetime | None] = _ts()


class TargetBase(TableModel, table=True):
    """How many people a province target counts against (e.g. business owners in the
    province), set by an admin from official statistics."""

    __tablename__ = "target_base"

    key: Col[str] = Field(max_length=16, primary_key=True)  # public_servants | business | citizens
    population: Col[int]
    source: Col[str | None] = Field(default=None, max_length=200)
    updated_at: Col[datetime] = _created()


# Indexes for the admin reports and exports at a million learners (migration 0003).
_lp, _as, _ln = LessonProgress.__table__.c, Assessment.__table__.c, Learner.__table__.c
sa.Index("ix_learner_group_code", _ln.group_code)
sa.Index("ix_learner_created_at", _ln.created_at)
sa.Index("ix_learner_last_active_at", _ln.last_active_at)
sa.Index(
    "ix_progress_done",
    _lp.learner_id,
    _lp.lesson_id,
    postgresql_include=["score", "total"],
    postgresql_where=_lp.completed_at.is_not(None),
    sqlite_where=_lp.completed_at.is_not(None),
)
sa.Index("ix_progress_completed_at", _lp.completed_at)
sa.Index(
    "ix_assessment_finished",
    _as.learner_id,
    _as.track,
    postgresql_include=["passed", "score", "total"],
    postgresql_where=_as.finished_at.is_not(None),
    sqlite_where=_as.finished_at.is_not(None),
)
sa.Index("ix_assessment_finished_at", _as.finished_at)


class TutorAnswer(TableModel, table=True):
    """One question to the AI tutor (or one practice prompt it graded) and the answer given:
    the daily quota is counted from these rows, and 👍/👎 feedback lands here. Pseudonymous:
    the learner's row id, never a name; deleted with the learner's data."""

    __tablename__ = "tutor_answer"
    __table_args__ = (sa.Index("ix_tutor_answer_learner_created", "learner_id", "created_at"),)

    id: Col[int | None] = Field(default=None, primary_key=True)
    learner_id: Col[int] = Field(foreign_key="learner.id")
    kind: Col[str] = Field(default="ask", max_length=8)  # ask | practice
    question: Col[str] = Field(sa_column=Column(sa.Text, nullable=False))
    lesson_ids: Col[list] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answer: Col[str] = Field(sa_column=Column(sa.Text, nullable=False))
    source: Col[str] = Field(max_length=8)  # model | offline | refused
    category: Col[str] = Field(max_length=16)  # answer | glossary | unknown | a guard's category
    model: Col[str | None] = Field(default=None, max_length=64)
    latency_ms: Col[int] = Field(default=0)
    feedback: Col[int | None] = Field(default=None)  # +1 👍, -1 👎, None: not given
    created_at: Col[datetime] = _created()


# --- Staff broadcasts (issue 7) ----------------------------------------------------------


class BroadcastStatus(StrEnum):
    scheduled = "scheduled"  # waits for scheduled_at
    queueing = "queueing"  # its outbox rows are being written, a batch per transaction
    sending = "sending"  # every row is queued; the dispatcher is sending them
    done = "done"  # every row is decided (sent, blocked, failed)
    cancelled = "cancelled"


class Broadcast(TableModel, table=True):
    """An announcement by a staff member or admin to the learners of their scope.

    The delivery rows are outbox rows (one per recipient, dedup key "bc:<id>:<learner
    id>", broadcast_id set); the text is kept here once rather than in each of them. A
    draft lives in the author's conversation state: a row exists only once confirmed.
    """

    __tablename__ = "broadcast"
    __table_args__ = (sa.Index("ix_broadcast_status_scheduled", "status", "scheduled_at"),)

    id: Col[int | None] = Field(default=None, primary_key=True)
    author_channel: Col[str] = Field(max_length=16)
    author_user_id: Col[str] = Field(max_length=64)
    author_role: Col[str] = Field(max_length=8)  # admin | staff, when it was created
    # {"kind": province|commune|unit, "commune": code, "unit_id": id}, when it was created
    author_scope: Col[dict] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What was asked ({"kind", "value"}), the filter it became inside the author's scope
    # ({"commune", "unit_id", "group"}), "not_trained", and a Vietnamese label.
    audience: Col[dict] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    commune_code: Col[int | None] = Field(default=None, index=True)  # where the audience lies
    unit_id: Col[int | None] = Field(default=None, index=True)
    text: Col[str] = Field(sa_column=Column(sa.Text, nullable=False))
    link: Col[str | None] = Field(default=None, max_length=512)
    status: Col[str] = Field(default=BroadcastStatus.queueing, max_length=12)
    scheduled_at: Col[datetime | None] = _ts()  # None: send now
    created_at: Col[datetime] = _created()
    started_at: Col[datetime | None] = _ts()  # queueing began
    finished_at: Col[datetime | None] = _ts()  # done or cancelled
    recipients: Col[int] = Field(
        default=0
    )  # counted at confirmation, again when queueing starts, then = queued
    queued: Col[int] = Field(default=0)  # outbox rows written so far
    queued_through: Col[int] = Field(
        default=0
    )  # the last learner id queued: queueing resumes after it
    last_learner_id: Col[int | None] = Field(
        default=None
    )  # the audience is fixed to learners up to this id
    delivered: Col[int | None] = Field(default=None)  # final counts, when done or cancelled
    blocked: Col[int | None] = Field(default=None)
    failed: Col[int | None] = Field(default=None)
    skipped: Col[int | None] = Field(
        default=None
    )  # not sent on purpose (the reasons: outbox.error)


# --- Zalo Official Account (issue 23) ------------------------------------------------------


class ZaloOAToken(TableModel, table=True):
    """The OA's OAuth v4 tokens, one row per Zalo app. The refresh token is single-use:
    a refresh rewrites this row under its lock (bot/channels/zalo_oa/tokens.py), so two
    processes never spend the same refresh token. Whoever reads this table can act as
    the OA: it gets the database's protection, and the tokens are never logged."""

    __tablename__ = "zalo_oa_token"

    app_id: Col[str] = Field(primary_key=True, max_length=32)
    oa_id: Col[str | None] = Field(default=None, max_length=32)
    access_token: Col[str] = Field(sa_column=Column(sa.Text, nullable=False))
    refresh_token: Col[str] = Field(sa_column=Column(sa.Text, nullable=False))
    access_expires_at: Col[datetime] = Field(sa_column=Column(UTCDateTime(), nullable=False))
    refresh_expires_at: Col[datetime] = Field(sa_column=Column(UTCDateTime(), nullable=False))
    refreshes: Col[int] = Field(
        default=0
    )  # how many times refreshed since `connect` (the lock's witness)
    updated_at: Col[datetime] = _created()


# --- Thi đua: staff contact with stalled learners (issue 22) -----------------------------


class LearnerContact(TableModel, table=True):
    """A staff member reached out to a stalled learner: a nudge sent through the bot, or
    "đã gọi" (they called or met them). No text, no phone number: who, whom, when."""

    __tablename__ = "learner_contact"
    __table_args__ = (sa.Index("ix_learner_contact_learner_at", "learner_id", "at"),)

    id: Col[int | None] = Field(default=None, primary_key=True)
    learner_id: Col[int] = Field(foreign_key="learner.id")
    kind: Col[str] = Field(max_length=8)  # nudge | called
    staff_channel: Col[str] = Field(max_length=16)
    staff_user_id: Col[str] = Field(max_length=64)
    at: Col[datetime] = _created()


# --- Certificates (issue 18) ------------------------------------------------------------


class Certificate(TableModel, table=True):
    """A certificate for a passed final assessment. The PDF and PNG are rendered from this
    row (bot/certificates/render.py) and kept on disk only as a cache. When the learner
    deletes their data the row stays as a revoked stub (no name, no learner) so its QR
    code still answers "không còn hiệu lực" (docs/CERTIFICATES.md)."""

    __tablename__ = "certificate"

    id: Col[int | None] = Field(default=None, primary_key=True)
    code: Col[str] = Field(max_length=24, unique=True)  # the verify code in the QR (80 bits)
    file_token: Col[str] = Field(max_length=48, unique=True)  # the files' unguessable URL part
    number: Col[str | None] = Field(default=None, max_length=24, unique=True)  # printed number
    learner_id: Col[int | None] = Field(default=None, foreign_key="learner.id", index=True)
    name: Col[str | None] = Field(default=None, max_length=128)  # as the learner confirmed it
    full_name_public: Col[bool] = Field(default=False)  # the verify page may show the full name
    track: Col[str] = Field(max_length=8)
    score: Col[int]
    total: Col[int]
    passed_at: Col[datetime] = Field(sa_column=Column(UTCDateTime(), nullable=False))
    issued_at: Col[datetime] = _created()
    revoked_at: Col[datetime | None] = _ts()
    revoked_reason: Col[str | None] = Field(default=None, max_length=16)  # deleted|admin|reissued
