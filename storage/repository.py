"""Queries the engine needs, over one AsyncSession (one transaction per inbound)."""

from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import (
    Assessment,
    AssessmentAnswer,
    AuditLog,
    Broadcast,
    InboxEvent,
    Learner,
    LearnerContact,
    LearnerStatus,
    LessonProgress,
    OutboxMessage,
    ProcessedUpdate,
    QuizAnswer,
    ReviewItem,
    TutorAnswer,
    Unit,
)
from storage.types import utcnow


class DuplicateUpdate(Exception):
    """This inbound update was processed before."""


# The two statements of every update, built once: building one (SQLAlchemy's generative
# API, coercing each value) cost more CPU than sending it (docs/PERFORMANCE.md, webhook).
_CLAIM_UPDATE = insert(ProcessedUpdate.__table__)
_LEARNER_FOR = (
    select(Learner)
    .where(
        Learner.channel == bindparam("channel"),
        Learner.channel_user_id == bindparam("user_id"),
    )
    .with_for_update()
)


class Repository:
    def __init__(self, session: AsyncSession):
        self.session = session

    # --- de-duplication ---------------------------------------------------------------

    async def claim_update(self, channel: str, update_id: str, window: float | None = None) -> None:
        """Record the update id first thing in the transaction; a second delivery of
        the same update fails here (and waits here while the first is in flight).
        A plain INSERT, not an ORM object and a flush: this runs for every update, and
        the unit of work costs several times the statement (docs/PERFORMANCE.md).

        With `window` (seconds) a key claimed longer ago than that is claimed afresh:
        for content hashes, where the same words a minute later are a new message."""
        row = {"channel": channel, "update_id": update_id, "processed_at": utcnow()}
        if window is not None:
            await self._claim_within(row, window)
            return
        try:
            await self.session.execute(_CLAIM_UPDATE, row)
        except IntegrityError as e:
            raise DuplicateUpdate(update_id) from e

    async def _claim_within(self, row: dict, window: float) -> None:
        pg = self.session.bind.dialect.name == "postgresql"
        t = ProcessedUpdate.__table__
        stmt = (pg_insert if pg else sqlite_insert)(t).values(**row)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.channel, t.c.update_id],
            set_={"processed_at": stmt.excluded.processed_at},
            where=t.c.processed_at < row["processed_at"] - timedelta(seconds=window),
        )
        if (await self.session.execute(stmt)).rowcount == 0:
            raise DuplicateUpdate(row["update_id"])

    # --- learners ---------------------------------------------------------------------

    async def learner_for(self, channel: str, user_id: str) -> Learner | None:
        """The learner of a chat, locked for this transaction on Postgres."""
        params = {"channel": channel, "user_id": user_id}
        return (await self.session.execute(_LEARNER_FOR, params)).scalar_one_or_none()

    async def mark_unreachable(self, channel: str, user_id: str) -> bool:
        """The channel says this chat is blocked or gone: no further sends."""
        stmt = (
            update(Learner)
            .where(Learner.channel == channel, Learner.channel_user_id == user_id)
            .values(status=LearnerStatus.unreachable)
        )
        return (await self.session.execute(stmt)).rowcount > 0

    async def add(self, row) -> None:
        self.session.add(row)
        await self.session.flush()

    async def delete_learner(self, learner: Learner) -> dict[str, int]:
        """Remove the learner and everything stored about them. Returns row counts."""
        counts = {}
        mine = select(Assessment.id).where(Assessment.learner_id == learner.id)
        res = await self.session.execute(
            delete(AssessmentAnswer).where(AssessmentAnswer.assessment_id.in_(mine))
        )
        counts[AssessmentAnswer.__tablename__] = res.rowcount
        for model in (
            Assessment,
            QuizAnswer,
            LessonProgress,
            ReviewItem,
            OutboxMessage,
            TutorAnswer,
            LearnerContact,
        ):
            res = await self.session.execute(delete(model).where(model.learner_id == learner.id))
            counts[model.__tablename__] = res.rowcount
        await self.session.delete(learner)
        await self.session.flush()
        return counts

    # --- units ------------------------------------------------------------------------

    async def unit_by_code(self, code: str) -> Unit | None:
        stmt = select(Unit).where(Unit.code == code.strip().upper())
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def unit(self, unit_id: int | None) -> Unit | None:
        return await self.session.get(Unit, unit_id) if unit_id else None

    # --- progress ---------------------------------------------------------------------

    async def progress(self, learner_id: int) -> dict[str, LessonProgress]:
        stmt = select(LessonProgress).where(LessonProgress.learner_id == learner_id)
        return {p.lesson_id: p for p in (await self.session.execute(stmt)).scalars()}

    async def lesson_progress(self, learner_id: int, lesson_id: str) -> LessonProgress:
        stmt = select(LessonProgress).where(
            LessonProgress.learner_id == learner_id, LessonProgress.lesson_id == lesson_id
        )
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        if row is None:
            row = LessonProgress(learner_id=learner_id, lesson_id=lesson_id)
            await self.add(row)
        return row

    async def record_answer(self, answer: QuizAnswer) -> None:
        await self.add(answer)

    async def attempt_score(self, learner_id: int, lesson_id: str, attempt: int) -> tuple[int, int]:
        """(correct, answered) in one quiz attempt."""
        stmt = select(
            func.count(QuizAnswer.id),
            func.coalesce(func.sum(case((QuizAnswer.correct, 1), else_=0)), 0),
        ).where(
            QuizAnswer.learner_id == learner_id,
            QuizAnswer.lesson_id == lesson_id,
            QuizAnswer.attempt == attempt,
        )
        answered, correct = (await self.session.execute(stmt)).one()
        return int(correct), int(answered)

    async def attempt_answers(
        self, learner_id: int, lesson_id: str, attempt: int
    ) -> list[QuizAnswer]:
        """One attempt's answers to a lesson quiz, in the order given."""
        stmt = (
            select(QuizAnswer)
            .where(
                QuizAnswer.learner_id == learner_id,
                QuizAnswer.lesson_id == lesson_id,
                QuizAnswer.attempt == attempt,
            )
            .order_by(QuizAnswer.answered_at, QuizAnswer.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def count_answers(self, learner_id: int) -> int:
        stmt = select(func.count(QuizAnswer.id)).where(QuizAnswer.learner_id == learner_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def completed_lessons(self, learner_id: int) -> set[str]:
        stmt = select(LessonProgress.lesson_id).where(
            LessonProgress.learner_id == learner_id, LessonProgress.completed_at.is_not(None)
        )
        return set((await self.session.execute(stmt)).scalars())

    # --- spaced review ----------------------------------------------------------------

    async def review_item(self, learner_id: int, lesson_id: str, qid: str) -> ReviewItem | None:
        stmt = select(ReviewItem).where(
            ReviewItem.learner_id == learner_id,
            ReviewItem.lesson_id == lesson_id,
            ReviewItem.question_id == qid,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def review(self, item_id: int) -> ReviewItem | None:
        return await self.session.get(ReviewItem, item_id)

    async def due_reviews(self, learner_id: int, now, limit: int) -> list[ReviewItem]:
        stmt = (
            select(ReviewItem)
            .where(ReviewItem.learner_id == learner_id, ReviewItem.due_at <= now)
            .order_by(ReviewItem.due_at)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def count_due_reviews(self, learner_id: int, now) -> int:
        stmt = select(func.count(ReviewItem.id)).where(
            ReviewItem.learner_id == learner_id, ReviewItem.due_at <= now
        )
        return int((await self.session.execute(stmt)).scalar_one())

    # --- final assessment -------------------------------------------------------------

    async def assessment(self, assessment_id: int) -> Assessment | None:
        return await self.session.get(Assessment, assessment_id)

    async def open_assessment(self, learner_id: int) -> Assessment | None:
        stmt = select(Assessment).where(
            Assessment.learner_id == learner_id, Assessment.finished_at.is_(None)
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def delete_assessment(self, exam: Assessment) -> None:
        """An unfinished attempt that cannot be scored any more, with its answers."""
        await self.session.execute(
            delete(AssessmentAnswer).where(AssessmentAnswer.assessment_id == exam.id)
        )
        await self.session.delete(exam)
        await self.session.flush()

    async def last_finished_assessment(self, learner_id: int) -> Assessment | None:
        stmt = (
            select(Assessment)
            .where(Assessment.learner_id == learner_id, Assessment.finished_at.is_not(None))
            .order_by(Assessment.finished_at.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def best_passed_assessment(self, learner_id: int) -> Assessment | None:
        stmt = (
            select(Assessment)
            .where(Assessment.learner_id == learner_id, Assessment.passed.is_(True))
            .order_by(Assessment.score.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def assessment_score(self, assessment_id: int) -> tuple[int, int]:
        """(correct, answered) so far in one assessment."""
        stmt = select(
            func.count(AssessmentAnswer.id),
            func.coalesce(func.sum(case((AssessmentAnswer.correct, 1), else_=0)), 0),
        ).where(AssessmentAnswer.assessment_id == assessment_id)
        answered, correct = (await self.session.execute(stmt)).one()
        return int(correct), int(answered)

    # --- audit ------------------------------------------------------------------------

    async def audit(self, actor: str, action: str, **detail) -> None:
        self.session.add(AuditLog(actor=actor, action=action, detail=detail))

    # --- AI tutor -----------------------------------------------------------------------

    async def count_tutor_answers(self, learner_id: int, since=None) -> int:
        """Questions (and model-graded practice prompts), all or since a time (the daily
        quota)."""
        stmt = select(func.count(TutorAnswer.id)).where(TutorAnswer.learner_id == learner_id)
        if since is not None:
            stmt = stmt.where(TutorAnswer.created_at >= since)
        return int((await self.session.execute(stmt)).scalar_one())

    async def update_tutor_answer(self, answer_id: int, **values) -> None:
        stmt = update(TutorAnswer).where(TutorAnswer.id == answer_id).values(**values)
        await self.session.execute(stmt)

    async def set_tutor_feedback(self, answer_id: int, learner_id: int, value: int) -> bool:
        """👍 (+1) or 👎 (-1) on one of this learner's answers; False if it is not theirs."""
        stmt = (
            update(TutorAnswer)
            .where(TutorAnswer.id == answer_id, TutorAnswer.learner_id == learner_id)
            .values(feedback=value)
        )
        return (await self.session.execute(stmt)).rowcount > 0

    # --- for the channels (bot/channels: the inbox of a polling channel, the OA window) --

    async def last_active_at(self, channel: str, user_id: str) -> datetime | None:
        """When the chat's learner last wrote (None: no learner)."""
        stmt = select(Learner.last_active_at).where(
            Learner.channel == channel, Learner.channel_user_id == user_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def keep_inbox_event(self, channel: str, body: dict) -> int:
        """Write a fetched event before it is handled; returns its row id."""
        table = InboxEvent.__table__
        row = {"channel": channel, "body": body, "received_at": utcnow()}
        stmt = insert(table).returning(table.c.id)
        return (await self.session.execute(stmt, row)).scalar_one()

    async def forget_inbox_event(self, row_id: int) -> None:
        await self.session.execute(delete(InboxEvent).where(InboxEvent.id == row_id))

    async def inbox_events(self, channel: str) -> list[tuple[int, dict]]:
        """The events kept and not yet forgotten, oldest first."""
        stmt = (
            select(InboxEvent.id, InboxEvent.body)
            .where(InboxEvent.channel == channel)
            .order_by(InboxEvent.id)
        )
        return [(r.id, r.body) for r in await self.session.execute(stmt)]

    # --- pruning ----------------------------------------------------------------------

    async def prune_processed_updates(self, before: datetime, limit: int) -> int:
        """Delete at most `limit` update ids claimed before `before`; returns how many
        went. Keys under a "channel:what" namespace (e.g. "telegram:group", "zalo:group":
        this group was told once) are notes kept for good, not update ids: never pruned."""
        t = ProcessedUpdate
        batch = (
            select(t.channel, t.update_id)
            .where(t.processed_at < before, t.channel.not_like("%:%"))
            .limit(limit)
        )
        # Postgres has no DELETE ... LIMIT: delete the rows a limited select names.
        stmt = delete(t).where(tuple_(t.channel, t.update_id).in_(batch))
        return (await self.session.execute(stmt)).rowcount

    # --- chat flows (bot/flows): what they read and write besides the above ----------------

    async def learner(self, learner_id: int) -> Learner | None:
        return await self.session.get(Learner, learner_id)

    async def units_in_commune(self, commune_code: int | None, limit: int) -> list[Unit]:
        stmt = select(Unit).where(Unit.commune_code == commune_code).order_by(Unit.name)
        return list((await self.session.execute(stmt.limit(limit))).scalars())

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id)

    @staticmethod
    def broadcasts_by(channel: str, user_id: str) -> list:
        """The filter for one author's broadcasts (bot/outreach/broadcasts.py recent)."""
        return [Broadcast.author_channel == channel, Broadcast.author_user_id == user_id]

    async def delete_review(self, item: ReviewItem) -> None:
        """A question learnt for good leaves the review queue."""
        await self.session.delete(item)

    async def flush(self) -> None:
        await self.session.flush()


async def prune_processed_updates(
    sessions: async_sessionmaker[AsyncSession],
    before: datetime,
    batch_size: int = 10_000,
) -> int:
    """Delete the update ids claimed before `before`, `batch_size` rows a transaction so
    a large backlog never holds its locks for long. Returns how many rows went."""
    total = 0
    while True:
        async with sessions() as session, session.begin():
            n = await Repository(session).prune_processed_updates(before, batch_size)
        total += n
        if n < batch_size:
            return total
