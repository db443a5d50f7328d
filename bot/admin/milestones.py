"""A learner's milestones on the way through the course, stamped on the learner row when
reached: the funnel's stages and the leaderboard's "trained"/"proficient", countable from
one table and as of any past date (the leaderboard's weekly change).

The definitions are bot/policy.py's, applied when a lesson is completed or an assessment
passed (the flows call `on_lesson` / `on_passed`), and by `backfill_statements` for the
data that existed before (migration 0009, the demo seeder):

- first lesson: a first lesson completed (any lesson);
- half the track: at least half (rounded up) of the lessons of the learner's track done;
- trained: `policy.is_trained` (every core lesson completed);
- proficient: passed the final assessment of the learner's own track (as the targets
  report counts it; `policy.passed` decided `passed` when the attempt finished).

A milestone keeps its first time: a later curriculum change does not move it (the
targets report, which recounts from the progress rows, may then differ slightly).
"""

from datetime import datetime

from sqlalchemy import Update, and_, func, select, update

from bot import policy
from lessons.loader import Catalog
from storage.models import Assessment, Learner, LessonProgress

DEFAULT_TRACK = "dan"  # as bot/flows/assessment.py and bot/admin/reports/conditions.py
STAGES = ("first_lesson_at", "half_track_at", "trained_at", "proficient_at")


def track_of(group: str | None) -> str:
    return group or DEFAULT_TRACK


def half_of(n: int) -> int:
    return (n + 1) // 2


def on_lesson(learner: Learner, catalog: Catalog, completed: set[str], now: datetime) -> None:
    """Stamp what the completed lessons (all of the learner's, this one included) reach."""
    if not completed:
        return
    if learner.first_lesson_at is None:
        learner.first_lesson_at = now
    track = [les.id for les in catalog.track(track_of(learner.group_code))]
    done = sum(1 for lid in track if lid in completed)
    if learner.half_track_at is None and track and done >= half_of(len(track)):
        learner.half_track_at = now
    if learner.trained_at is None and policy.is_trained(catalog, completed):
        learner.trained_at = now


def on_passed(learner: Learner, track: str, now: datetime) -> None:
    """A passed final assessment of `track`: proficient if it is the learner's track."""
    if learner.proficient_at is None and track == track_of(learner.group_code):
        learner.proficient_at = now


# --- backfill ----------------------------------------------------------------------------

L, LP, AS = Learner.__table__, LessonProgress.__table__, Assessment.__table__


def _nth_completion(lesson_ids: list[str], n: int, column: str, group: str | None = None) -> Update:
    """Set `column` to when the learner completed the n-th of these lessons."""
    ranked = select(
        LP.c.learner_id,
        LP.c.completed_at,
        func.row_number()
        .over(partition_by=LP.c.learner_id, order_by=(LP.c.completed_at, LP.c.id))
        .label("rn"),
    ).where(LP.c.completed_at.is_not(None), LP.c.lesson_id.in_(lesson_ids))
    sub = ranked.subquery("ranked")
    conds = [L.c.id == sub.c.learner_id, sub.c.rn == n, L.c[column].is_(None)]
    if group is not None:
        conds.append(func.coalesce(L.c.group_code, DEFAULT_TRACK) == group)
    return update(L).where(*conds).values({column: sub.c.completed_at})


def backfill_statements(catalog: Catalog, groups: list[str]) -> list[Update]:
    """UPDATEs that stamp the milestones already reached (only where not yet stamped),
    for SQLite and Postgres alike (UPDATE … FROM)."""
    first = (
        select(LP.c.learner_id, func.min(LP.c.completed_at).label("at"))
        .where(LP.c.completed_at.is_not(None))
        .group_by(LP.c.learner_id)
        .subquery("first")
    )
    stmts: list[Update] = [
        update(L)
        .where(L.c.id == first.c.learner_id, L.c.first_lesson_at.is_(None))
        .values(first_lesson_at=first.c.at)
    ]
    for group in sorted({track_of(g) for g in groups}):
        track = [les.id for les in catalog.track(group)]
        if track:
            stmts.append(_nth_completion(track, half_of(len(track)), "half_track_at", group))
    core = policy.core_lessons(catalog)
    if core:
        stmts.append(_nth_completion(core, len(core), "trained_at"))
    passed = (
        select(AS.c.learner_id, AS.c.track, func.min(AS.c.finished_at).label("at"))
        .where(AS.c.finished_at.is_not(None), AS.c.passed.is_(True))
        .group_by(AS.c.learner_id, AS.c.track)
        .subquery("passed")
    )
    stmts.append(
        update(L)
        .where(
            and_(
                L.c.id == passed.c.learner_id,
                passed.c.track == func.coalesce(L.c.group_code, DEFAULT_TRACK),
                L.c.proficient_at.is_(None),
            )
        )
        .values(proficient_at=passed.c.at)
    )
    return stmts
