"""Leaderboard ordering and weekly change, funnel numbers, cohorts and milestones, on a
small known province (tests/thidua/conftest.py), on SQLite and Postgres."""

import json
import os
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.admin import funnel, leaderboard, milestones
from bot.admin.roles import Filter
from lessons.limits import LEARNER_GROUPS
from storage.models import Learner, LessonProgress, Unit
from tests.thidua.conftest import COMMUNE_A, COMMUNE_B, COMMUNE_C, NOW, person
from tests.transcript import Chat

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def board(sessions, by="trained"):
    async with sessions() as s:
        return await leaderboard.compute(s, NOW, by)


async def test_communes_ranked_by_share_of_their_base_with_the_weekly_change(sessions, province):
    b = await board(sessions)
    assert len(b.communes) == 92
    a, bb = b.commune(COMMUNE_A), b.commune(COMMUNE_B)
    # A: 2 of 10 trained, 1 proficient; B: 2 of 10 trained, 0 proficient: A first on the tie.
    assert (a.rank, a.trained_pct, a.proficient_pct, a.learners) == (1, 20.0, 10.0, 4)
    assert (bb.rank, bb.trained_pct, bb.proficient_pct) == (2, 20.0, 0.0)
    assert [s.code for s in b.communes[:2]] == [str(COMMUNE_A), str(COMMUNE_B)]
    # A week ago A had 1 of 10 trained (the other came 2 days ago), B already 2: B led.
    assert (a.rank_then, a.change) == (2, 1)
    assert (bb.rank_then, bb.change) == (1, -1)
    # Communes without learners or base share the last rank.
    c = b.commune(COMMUNE_C)
    assert (c.rank, c.base, c.base_source, c.trained_pct) == (3, None, "learners", None)
    assert sum(1 for s in b.communes if s.rank == 3) == 90


async def test_ranked_by_proficient_and_units_by_headcount(sessions, province):
    b = await board(sessions, "proficient")
    a, bb = b.commune(COMMUNE_A), b.commune(COMMUNE_B)
    assert (a.rank, bb.rank) == (1, 2)
    assert (a.change, bb.change) == (0, 0)
    [ua] = b.units
    assert (ua.code, ua.base, ua.base_source, ua.learners) == ("UA", 4, "headcount", 2)
    assert (ua.trained_pct, ua.proficient_pct, ua.rank) == (50.0, 25.0, 1)


async def test_without_a_population_the_learners_are_the_base(sessions, province):
    from sqlalchemy import delete

    from storage.models import TargetBase

    async with sessions() as s, s.begin():
        await s.execute(delete(TargetBase))
    b = await board(sessions)
    a, bb = b.commune(COMMUNE_A), b.commune(COMMUNE_B)
    assert (a.base, a.base_source, a.trained_pct) == (4, "learners", 50.0)
    assert (bb.base, bb.trained_pct, bb.rank, a.rank) == (2, 100.0, 1, 2)
    # A week ago A had 3 learners, 1 trained: the base then is the learners then.
    assert a.base_then() == 3


async def test_no_change_is_claimed_before_anyone_joined(sessions, catalog):
    async with sessions() as s, s.begin():
        s.add(person("n1", COMMUNE_A, created_at=NOW - timedelta(days=1)))
    b = await board(sessions)
    assert b.commune(COMMUNE_A).change is None


async def test_cli_leaderboard_json(sessions, province, db_url):
    from tests.broadcast.test_cli import hocai

    env = {**os.environ, "DATABASE_URL": db_url, "LOG_LEVEL": "WARNING"}
    out = hocai(env, "targets", "leaderboard", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ranked_by"] == "trained"
    first = data["communes"][0]
    assert (first["code"], first["rank"], first["change"]) == (str(COMMUNE_A), 1, 1)
    out = hocai(env, "targets", "base", "commune:1849", "500", "--source", "Niên giám")
    assert out.returncode == 0, out.stderr
    bad = hocai(env, "targets", "base", "commune:99999", "5")
    assert bad.returncode == 2 and "commune:CODE" in bad.stderr
    out = hocai(env, "targets", "leaderboard", "--by", "proficient")
    assert "Phường Đức Xuân" in out.stdout and "base 500 (population)" in out.stdout


async def test_funnel_numbers(sessions, province):
    async with sessions() as s:
        rows = await leaderboard.mark_rows(s, NOW)
    total, by_commune = funnel.funnel(rows, Filter(), "commune", [])
    assert total.counts == [6, 5, 3, 4, 1]
    assert [(f.key, f.counts) for f in by_commune] == [
        (str(COMMUNE_A), [4, 3, 2, 2, 1]),
        (str(COMMUNE_B), [2, 2, 1, 2, 0]),
    ]
    total_a, _ = funnel.funnel(rows, Filter(commune=COMMUNE_A), "group", [])
    assert total_a.counts == [4, 3, 2, 2, 1]
    assert total_a.pcts() == [100.0, 75.0, 50.0, 50.0, 25.0]
    async with sessions() as s:
        units = list((await s.execute(select(Unit))).scalars())
    _, by_unit = funnel.funnel(rows, Filter(commune=COMMUNE_A), "unit", units)
    assert [(f.key, f.counts) for f in by_unit] == [("UA", [2, 2, 2, 2, 1])]
    _, by_group = funnel.funnel(rows, Filter(), "group", units)
    assert [(f.label, f.counts[0]) for f in by_group] == [(LEARNER_GROUPS["dan"], 6)]


async def test_weekly_cohorts_retention(sessions):
    from tests.thidua.conftest import vn

    week = vn(23, 9, month=11)  # Monday 23/11, a week before NOW's week (30/11)
    async with sessions() as s, s.begin():
        # Four joined in the week of 23/11: two came back the next week, one of them
        # again the week after; two joined this week.
        for i, back in enumerate((None, 0, 8, 9)):
            last = week if back is None else week + timedelta(days=back)
            s.add(person(f"c{i}", COMMUNE_A, created_at=week, last_active_at=last))
        s.add(person("c9", COMMUNE_A, created_at=NOW - timedelta(hours=1)))
        s.add(person("c8", COMMUNE_B, created_at=NOW - timedelta(hours=2)))
    async with sessions() as s:
        found = await funnel.cohorts(s, Filter(), NOW, TZ, weeks=3)
        only_b = await funnel.cohorts(s, Filter(commune=COMMUNE_B), NOW, TZ, weeks=3)
    assert [c.week.date().isoformat() for c in found] == ["2026-11-16", "2026-11-23", "2026-11-30"]
    assert [(c.size, c.retained) for c in found] == [(0, [0, 0, 0]), (4, [4, 2]), (2, [2])]
    assert found[1].pcts() == [100.0, 50.0]
    assert [c.size for c in only_b] == [0, 0, 1]


async def test_lessons_and_the_assessment_stamp_the_milestones(sessions, catalog, tutor):
    lan = Chat(tutor, catalog, user_id="77", channel="telegram")
    await lan.onboard()
    await lan.say("/hoc")
    await lan.read_lesson()
    await lan.finish_quiz()
    async with sessions() as s:
        me = (await s.execute(select(Learner).where(Learner.channel_user_id == "77"))).scalar_one()
    assert me.first_lesson_at == NOW
    assert me.half_track_at is None and me.trained_at is None and me.proficient_at is None

    # The same stamp from the backfill (migration 0009) for data made before it.
    async with sessions() as s, s.begin():
        await s.execute(update(Learner).values(first_lesson_at=None))
        for stmt in milestones.backfill_statements(catalog, list(LEARNER_GROUPS)):
            await s.execute(stmt)
    async with sessions() as s:
        me = (await s.execute(select(Learner).where(Learner.channel_user_id == "77"))).scalar_one()
    assert me.first_lesson_at == NOW


async def test_backfill_stamps_half_track_and_trained_in_order(sessions, catalog):
    from bot import policy

    core = policy.core_lessons(catalog)
    track = [les.id for les in catalog.track("dan")]
    half = milestones.half_of(len(track))
    async with sessions() as s, s.begin():
        s.add(person("p1", COMMUNE_A))
        await s.flush()
        lid = (await s.execute(select(Learner.id))).scalar_one()
        for i, lesson in enumerate(core):
            s.add(
                LessonProgress(
                    learner_id=lid, lesson_id=lesson, completed_at=NOW + timedelta(minutes=i)
                )
            )
    async with sessions() as s, s.begin():
        for stmt in milestones.backfill_statements(catalog, list(LEARNER_GROUPS)):
            await s.execute(stmt)
    async with sessions() as s:
        me = (await s.execute(select(Learner))).scalar_one()
    assert me.first_lesson_at == NOW
    assert me.half_track_at == NOW + timedelta(minutes=half - 1)
    assert me.trained_at == NOW + timedelta(minutes=len(core) - 1)
    assert me.proficient_at is None
    # The live rule agrees with the backfill.
    fresh = Learner(channel="x", channel_user_id="y", group_code="dan")
    milestones.on_lesson(fresh, catalog, set(core), NOW)
    assert fresh.trained_at == fresh.half_track_at == fresh.first_lesson_at == NOW
    milestones.on_passed(fresh, "cb", NOW)  # another track's assessment: not proficient
    assert fresh.proficient_at is None
    milestones.on_passed(fresh, "dan", NOW)
    assert fresh.proficient_at == NOW
