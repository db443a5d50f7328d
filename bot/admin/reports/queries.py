"""The report's SQL: counts per (group, commune, unit) for the targets report, and one row
per learner for the exports (bot/admin/export.py, the dashboard's learners list)."""

from datetime import datetime

from sqlalchemy import DateTime, Select, and_, case, func, select, type_coerce

from bot import policy
from bot.admin.reports.conditions import (
    AS,
    DEFAULT_TRACK,
    LP,
    L,
    U,
    learner_conditions,
    track_group,
)
from bot.admin.roles import Filter
from lessons.limits import ALL_GROUPS, LEARNER_GROUPS
from lessons.loader import Catalog
from storage.models import Certificate


def _passed_subquery(restrict=None):
    q = select(AS.c.learner_id, AS.c.track).where(
        AS.c.finished_at.is_not(None), AS.c.passed.is_(True)
    )
    if restrict is not None:
        q = q.where(AS.c.learner_id.in_(restrict))
    return q.group_by(AS.c.learner_id, AS.c.track).subquery("passed")


def _trained_subquery(catalog: Catalog, restrict=None):
    core = policy.core_lessons(catalog)
    q = select(LP.c.learner_id).where(LP.c.completed_at.is_not(None), LP.c.lesson_id.in_(core))
    if restrict is not None:
        q = q.where(LP.c.learner_id.in_(restrict))
    return q.group_by(LP.c.learner_id).having(func.count() >= len(core)).subquery("trained")


def grouped_select(catalog: Catalog, since: datetime) -> Select:
    """Learners, trained, proficient, active: one row per (group, commune, unit)."""
    trained, passed = _trained_subquery(catalog), _passed_subquery()
    return (
        select(
            L.c.group_code,
            L.c.commune_code,
            L.c.unit_id,
            func.count().label("learners"),
            func.count(trained.c.learner_id).label("trained"),
            func.count(passed.c.learner_id).label("proficient"),
            func.sum(case((L.c.last_active_at >= since, 1), else_=0)).label("active"),
        )
        .select_from(
            L.outerjoin(trained, trained.c.learner_id == L.c.id).outerjoin(
                passed,
                and_(passed.c.learner_id == L.c.id, passed.c.track == track_group()),
            )
        )
        .where(*learner_conditions(Filter()))
        .group_by(L.c.group_code, L.c.commune_code, L.c.unit_id)
    )


def per_learner_select(catalog: Catalog, flt: Filter, ids: list[int] | None = None) -> Select:
    """One row per learner, ordered by id, with everything an export needs."""
    core = policy.core_lessons(catalog)
    n_core = max(len(core), 1)
    extra = [m for m in catalog.modules if ALL_GROUPS not in m.groups]
    restrict: list[int] | Select | None = None
    if ids is not None:
        restrict = ids
    elif flt.as_dict():
        restrict = select(L.c.id).where(*learner_conditions(flt))

    cols = [
        LP.c.learner_id,
        func.sum(case((LP.c.lesson_id.in_(core), 1), else_=0)).label("core_done"),
        *[
            func.sum(case((LP.c.lesson_id.in_(m.lessons), 1), else_=0)).label(f"done_{i}")
            for i, m in enumerate(extra)
        ],
        func.sum(LP.c.score).label("score_sum"),
        func.sum(LP.c.total).label("total_sum"),
    ]
    lp = select(*cols).where(LP.c.completed_at.is_not(None))
    if restrict is not None:
        lp = lp.where(LP.c.learner_id.in_(restrict))
    p = lp.group_by(LP.c.learner_id).subquery("p")

    best = select(
        AS.c.learner_id,
        AS.c.track,
        # Percentages as rounded integers in SQL (no Decimal per row on Postgres).
        func.max((AS.c.score * 200 + AS.c.total) / (AS.c.total * 2)).label("best_pct"),
        func.max(case((AS.c.passed.is_(True), 1), else_=0)).label("passed"),
    ).where(AS.c.finished_at.is_not(None), AS.c.total > 0)
    if restrict is not None:
        best = best.where(AS.c.learner_id.in_(restrict))
    a = best.group_by(AS.c.learner_id, AS.c.track).subquery("a")
    cert = select(Certificate.learner_id, func.max(Certificate.number).label("number")).where(
        Certificate.revoked_at.is_(None)
    )
    if restrict is not None:
        cert = cert.where(Certificate.learner_id.in_(restrict))
    c = cert.group_by(Certificate.learner_id).subquery("c")

    group = track_group()
    core_done = func.coalesce(p.c.core_done, 0)
    extra_done = {
        g: [func.coalesce(p.c[f"done_{i}"], 0) for i, m in enumerate(extra) if m.is_for(g)]
        for g in LEARNER_GROUPS
    }
    track_done = core_done + case(
        *[(group == g, sum(parts[1:], parts[0])) for g, parts in extra_done.items() if parts],
        else_=0,
    )
    track_total = case(
        *[(group == g, len(catalog.track(g))) for g in LEARNER_GROUPS],
        else_=len(catalog.track(DEFAULT_TRACK)),
    )
    stmt = (
        select(
            L.c.id,
            L.c.pid,
            L.c.display_name,
            L.c.group_code,
            L.c.commune_code,
            U.c.code.label("unit_code"),
            U.c.name.label("unit_name"),
            # Plain timestamps: the export converts them itself, faster than per-row types.
            type_coerce(L.c.created_at, DateTime(timezone=True)).label("created_at"),
            type_coerce(L.c.last_active_at, DateTime(timezone=True)).label("last_active_at"),
            track_done.label("lessons_done"),
            track_total.label("lessons_total"),
            ((core_done * 200 + n_core) / (2 * n_core)).label("core_pct"),
            case(
                (p.c.total_sum > 0, (p.c.score_sum * 200 + p.c.total_sum) / (p.c.total_sum * 2)),
                else_=None,
            ).label("quiz_pct"),
            a.c.best_pct,
            case((core_done >= n_core, 1), else_=0).label("trained"),
            func.coalesce(a.c.passed, 0).label("proficient"),
            c.c.number.label("certificate"),
        )
        .select_from(
            L.outerjoin(U, U.c.id == L.c.unit_id)
            .outerjoin(p, p.c.learner_id == L.c.id)
            .outerjoin(a, and_(a.c.learner_id == L.c.id, a.c.track == group))
            .outerjoin(c, c.c.learner_id == L.c.id)
        )
        .order_by(L.c.id)
    )
    if ids is not None:
        return stmt.where(L.c.id.in_(ids))
    return stmt.where(*learner_conditions(flt))
