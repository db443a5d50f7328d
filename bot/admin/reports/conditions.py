"""Which learners a report counts, as SQL conditions on the learner table (also used by
the exports, the funnel, certificates and the stalled learners' list)."""

from sqlalchemy import func, or_

from bot.admin.roles import Filter
from storage.models import Assessment, Learner, LearnerStatus, LessonProgress, Unit

DEFAULT_TRACK = "dan"  # bot/flows/assessment.py: a learner without a group takes this track

L, U, LP, AS = (
    Learner.__table__,
    Unit.__table__,
    LessonProgress.__table__,
    Assessment.__table__,
)


def learner_conditions(flt: Filter) -> list:
    conds = [L.c.status != LearnerStatus.onboarding.value]
    if flt.commune is not None:
        conds.append(L.c.commune_code == flt.commune)
    if flt.unit_id is not None:
        conds.append(L.c.unit_id == flt.unit_id)
    if flt.group is not None:
        conds.append(L.c.group_code == flt.group)
    return conds


def track_group():
    return func.coalesce(L.c.group_code, DEFAULT_TRACK)


def search_conditions(q: str | None) -> list:
    if not q:
        return []
    q = q.strip()[:64]
    like = f"%{q.lower()}%"
    return [or_(func.lower(L.c.display_name).like(like), L.c.pid == q.lower())]
