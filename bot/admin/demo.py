"""Synthetic learners for demos and benchmarks: `hocai demo seed --learners N`.

Learners are spread over the 92 communes, the five groups and a few hundred demo units,
with progress that tails off (many start, fewer finish the core, fewer pass the final
assessment), so the targets report has something to say. Everything is marked: learners
on channel "demo", unit codes starting "DEMO-", staff on channel "demo".

Never in production by accident: it refuses when the database has any learner that is
not a demo learner, unless forced. On Postgres rows go in with COPY (a million learners
in a few minutes); on SQLite with batched INSERTs. No quiz_answer or assessment_answer
rows are made: reports and exports read lesson_progress and assessment only.
"""

import json
import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot import communes, policy
from bot.admin import leaderboard, milestones
from bot.outreach.schedule import VN
from lessons.limits import LEARNER_GROUPS
from lessons.loader import Catalog
from storage.models import (
    Assessment,
    AuditLog,
    Learner,
    LearnerStatus,
    LessonProgress,
    StaffRole,
    TargetBase,
    Unit,
)
from storage.types import utcnow

DEMO_CHANNEL = "demo"
UNIT_PREFIX = "DEMO-"
CHUNK = 50_000
HISTORY_WEEKS = 20

FAMILY = (
    ("Nguyễn", 30), ("Trần", 8), ("Lê", 7), ("Phạm", 5), ("Hoàng", 6), ("Vũ", 3), ("Đặng", 3),
    ("Bùi", 3), ("Đỗ", 3), ("Dương", 3), ("Ngô", 2), ("Hà", 3), ("Lương", 2), ("Ma", 2),
    ("Nông", 3), ("La", 1), ("Triệu", 2), ("Đàm", 1), ("Lý", 1), ("Chu", 1), ("Mạc", 1),
)  # fmt: skip
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Thanh", "Hữu", "Quang", "Thúy", "Hồng")
GIVEN = (
    "Lan", "Hương", "Hùng", "Dũng", "Mai", "Tuấn", "Hà", "Linh", "Nam", "Long", "Trang",
    "Thảo", "Hiếu", "Phương", "Quý", "Đạt", "Huyền", "Yến", "Sơn", "Tâm", "Toàn", "Khánh",
    "Ánh", "Nguyệt", "Thủy", "Cường", "Hải", "Việt", "Loan", "Nhung", "Đông", "Thắm",
)  # fmt: skip
GROUP_WEIGHTS = {"dan": 40, "cb": 12, "dn": 9, "che": 24, "hs": 15}
PROVINCIAL = (
    "Văn phòng UBND tỉnh", "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo",
    "Sở Nông nghiệp và Môi trường", "Sở Y tế", "Sở Tài chính", "Sở Nội vụ",
    "Sở Văn hóa, Thể thao và Du lịch",
)  # fmt: skip


class DemoRefused(Exception):
    """The database holds real learners."""


@dataclass
class SeedResult:
    learners: int
    units: int
    progress_rows: int
    assessments: int
    staff: int


def _pid(k: int) -> str:
    """Unique 10-hex-digit pids: an odd multiplier is a bijection modulo 2**40."""
    return f"{(k * 0x9E3779B1 + 0x5BD1E995) % (1 << 40):010x}"


def _defaults() -> dict:
    """Column defaults of a learner row (also for columns other features add)."""
    blank = Learner(channel="", channel_user_id="")
    cols = Learner.__table__.c
    return {c.name: getattr(blank, c.name) for c in cols}


async def real_learners(session: AsyncSession) -> int:
    stmt = select(func.count()).select_from(Learner).where(Learner.channel != DEMO_CHANNEL)
    return int((await session.execute(stmt)).scalar_one())


def _units_plan(rng: random.Random) -> list[dict]:
    all_c = communes.all_communes()
    centre = next((c for c in all_c if c.kind == "phường"), all_c[0]).code
    units = [
        {"code": f"{UNIT_PREFIX}SO{i + 1:02d}", "name": name, "commune_code": centre,
         "kind": "agency"}
        for i, name in enumerate(PROVINCIAL)
    ]  # fmt: skip
    for c in all_c:
        short = c.name.split(" ", 1)[1]
        units.append(
            {"code": f"{UNIT_PREFIX}UB{c.code}", "name": f"UBND {c.kind} {short}",
             "commune_code": c.code, "kind": "agency"}
        )  # fmt: skip
        units.append(
            {"code": f"{UNIT_PREFIX}TH{c.code}", "name": f"Trường THCS {short}",
             "commune_code": c.code, "kind": "school"}
        )  # fmt: skip
        if rng.random() < 0.6:
            units.append(
                {"code": f"{UNIT_PREFIX}HTX{c.code}", "name": f"HTX chè {short}",
                 "commune_code": c.code, "kind": "coop"}
            )  # fmt: skip
        if rng.random() < 0.4:
            units.append(
                {"code": f"{UNIT_PREFIX}DN{c.code}", "name": f"Công ty TNHH Thương mại {short}",
                 "commune_code": c.code, "kind": "enterprise"}
            )  # fmt: skip
    return units


class _Gen:
    def __init__(self, catalog: Catalog, rng: random.Random, now: datetime, units: list[Unit]):
        self.rng, self.now = rng, now
        self.catalog = catalog
        self.tracks = {g: [les.id for les in catalog.track(g)] for g in LEARNER_GROUPS}
        self.core = set(policy.core_lessons(catalog))
        self.core_n = len(self.core)
        self.families = [f for f, _ in FAMILY]
        self.family_w = [w for _, w in FAMILY]
        self.groups = list(GROUP_WEIGHTS)
        self.group_w = list(GROUP_WEIGHTS.values())
        all_c = communes.all_communes()
        self.communes = [c.code for c in all_c]
        # Phường (towns) are busier; each commune gets its own pull.
        self.commune_w = [
            (3.0 if c.kind == "phường" else 1.0) * rng.uniform(0.3, 1.7) for c in all_c
        ]
        by: dict[tuple[int | None, str], list[int | None]] = {}
        for u in units:
            by.setdefault((u.commune_code, u.kind), []).append(u.id)
        self.units_by = by
        self.provincial = [u.id for u in units if u.code.startswith(f"{UNIT_PREFIX}SO")]
        self.unit_count: Counter = Counter()
        self.group_count: Counter = Counter()
        self.commune_count: Counter = Counter()

    def name(self) -> str:
        r = self.rng
        fam = r.choices(self.families, self.family_w)[0]
        return f"{fam} {r.choice(MIDDLE)} {r.choice(GIVEN)}"

    def unit_for(self, group: str, commune: int) -> int | None:
        r = self.rng
        if group == "cb":
            if r.random() < 0.15 and self.provincial:
                return r.choice(self.provincial)
            kind = "school" if r.random() < 0.35 else "agency"
            ids = self.units_by.get((commune, kind))
            return r.choice(ids) if ids else None
        if group in ("dn", "che") and r.random() < (0.5 if group == "dn" else 0.2):
            ids = self.units_by.get((commune, "enterprise" if group == "dn" else "coop"))
            if not ids:
                ids = self.units_by.get((commune, "coop" if group == "dn" else "enterprise"))
            return r.choice(ids) if ids else None
        return None

    def learner(self, lid: int, k: int, defaults: dict) -> tuple[dict, list[tuple], list[tuple]]:
        r, now = self.rng, self.now
        group = r.choices(self.groups, self.group_w)[0]
        commune = r.choices(self.communes, self.commune_w)[0]
        unit = self.unit_for(group, commune)
        if unit is not None:
            self.unit_count[unit] += 1
        self.group_count[group] += 1
        self.commune_count[commune] += 1
        # More learners joined recently: the square root skews towards now.
        age = timedelta(weeks=HISTORY_WEEKS) * (1 - math.sqrt(r.random()))
        created = now - age
        track = self.tracks[group]
        # cb learners are pushed by their agencies: they get further.
        u = r.random() ** (0.6 if group == "cb" else 1.0)
        if u < 0.25:
            done = 0
        elif u < 0.6:
            done = r.randint(1, self.core_n - 1)
        elif u < 0.75:
            done = (
                r.randint(self.core_n, len(track) - 1) if len(track) > self.core_n else len(track)
            )
        else:
            done = len(track)
        # Each learner studies over a few days to a few weeks after joining.
        span = min((now - created).total_seconds(), r.uniform(2, 50) * 86400)
        times = sorted(created + timedelta(seconds=r.random() * span) for _ in range(done))
        last = times[-1] if times else created + timedelta(seconds=r.random() * min(span, 3600))
        progress: list[tuple] = []
        for lesson_id, at in zip(track, times, strict=False):
            total = 4
            score = min(4, max(0, round(r.gauss(3.1, 0.9))))
            best = max(score, min(4, score + r.choice((0, 0, 1))))
            attempts = r.choice((1, 1, 1, 2))
            progress.append(
                (lid, lesson_id, at - timedelta(minutes=6), at, attempts, score, total, best)
            )
        if 0 < done < len(track):  # one lesson opened, not finished
            progress.append((lid, track[done], last, None, 1, None, None, None))
        assessments = []
        if done == len(track) and r.random() < 0.85:
            when = last
            for _attempt in range(2):
                score = min(15, max(0, round(r.gauss(12.3, 2.2))))
                ok = policy.passed(score, 15)
                when = when + timedelta(hours=r.uniform(0.2, 30))
                if when > now:
                    when = now - timedelta(minutes=r.uniform(1, 120))
                assessments.append((lid, group, when - timedelta(minutes=9), when, score, 15, ok))
                if ok:
                    break
                when = when + policy.ASSESSMENT_COOLDOWN
                if when >= now:
                    break
            last = max(last, assessments[-1][3])
        marks = self.milestones(track, times, assessments)
        status = LearnerStatus.active.value
        if r.random() < 0.04:
            status = LearnerStatus.unreachable.value
        row = dict(defaults)
        row.update(
            id=lid,
            pid=_pid(k),
            channel=DEMO_CHANNEL,
            channel_user_id=f"demo-{k}",
            display_name=self.name(),
            group_code=group,
            commune_code=commune,
            unit_id=unit,
            consent_at=created,
            status=status,
            state="menu",
            created_at=created,
            last_active_at=last,
            last_study_on=times[-1].astimezone(VN).date().isoformat() if times else None,
            # Some stopped answering their reminders (the stalled learners' list).
            reminders_ignored=r.choice((0, 0, 0, 1, 2, 3, 4)) if done < len(track) else 0,
            **marks,
        )
        return row, progress, assessments

    def milestones(self, track: list[str], times: list[datetime], assessments: list) -> dict:
        """The milestone stamps (bot/admin/milestones.py) of lessons done in track order."""
        core_at = [at for lid, at in zip(track, times, strict=False) if lid in self.core]
        half = milestones.half_of(len(track))
        passed = [a[3] for a in assessments if a[6]]
        return {
            "first_lesson_at": times[0] if times else None,
            "half_track_at": times[half - 1] if len(times) >= half else None,
            "trained_at": core_at[-1] if len(core_at) == self.core_n else None,
            "proficient_at": passed[0] if passed else None,
        }


PROGRESS_COLS = (
    "learner_id", "lesson_id", "started_at", "completed_at", "attempts", "score", "total",
    "best_score",
)  # fmt: skip
ASSESSMENT_COLS = ("learner_id", "track", "started_at", "finished_at", "score", "total", "passed")


BULK = 50_000  # from this many learners, Postgres indexes are rebuilt after the COPY
BULK_TABLES = ("learner", "lesson_progress", "assessment")


async def _drop_secondary_indexes(conn) -> list[str]:
    """Drop the non-unique indexes of the big tables (kept: keys and unique constraints);
    return their definitions. Building them once afterwards is far faster than updating
    them row by row in random order."""
    async with conn.begin():
        rows = (
            await conn.execute(
                text(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                    "JOIN pg_class c ON c.relname = i.indexname "
                    "JOIN pg_index x ON x.indexrelid = c.oid "
                    "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:t) "
                    "AND NOT x.indisunique AND NOT x.indisprimary"
                ),
                {"t": list(BULK_TABLES)},
            )
        ).all()
        for name, _ in rows:
            await conn.execute(text(f'DROP INDEX "{name}"'))
    return [definition for _, definition in rows]


async def _recreate_indexes(conn, definitions: list[str]) -> None:
    async with conn.begin():
        await conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for definition in definitions:
            await conn.execute(text(definition))


SEQUENCE_TABLES = ("learner", "lesson_progress", "assessment", "unit", "staff_role")
DEMO_SOURCE = "Dữ liệu mô phỏng (demo)"


async def seed(
    engine: AsyncEngine,
    catalog: Catalog,
    learners: int,
    *,
    force: bool = False,
    seed_value: int = 20251213,
    now: datetime | None = None,
    progress=None,
) -> SeedResult:
    """Add `learners` demo learners (and the demo units, core teams and target bases)."""
    now = now or utcnow()
    # One generator drawn from in a fixed order: the same seed gives the same data.
    rng = random.Random(seed_value)
    pg = engine.dialect.name == "postgresql"
    async with engine.connect() as conn:
        await _refuse_real_learners(conn, force)
        plan, units, start_id, k0 = await _add_units(conn, rng, now)
        dropped: list[str] = []
        if pg and learners >= BULK:
            dropped = await _drop_secondary_indexes(conn)
        fast_fk = pg and await _is_superuser(conn)
        await conn.rollback()
        gen = _Gen(catalog, rng, now, units)
        n_progress, n_assess = await _add_learners(
            conn, gen, learners, start_id, k0, pg, fast_fk, progress
        )
        if dropped:
            await _recreate_indexes(conn, dropped)
        async with conn.begin():
            await _set_headcounts(conn, rng, gen, units)
            staff = await _add_core_teams(conn, rng, gen, now)
            await _add_target_bases(conn, rng, gen, now)
            await conn.execute(
                insert(AuditLog.__table__).values(
                    at=now,
                    actor="admin:cli",
                    action="demo_seeded",
                    detail={"learners": learners, "units": len(plan)},
                )
            )
            if pg:
                await _reset_sequences(conn)
        if pg:
            await _vacuum(conn)
    return SeedResult(learners, len(plan), n_progress, n_assess, staff)


async def _refuse_real_learners(conn, force: bool) -> None:
    async with AsyncSession(bind=conn) as session:
        if not force and await real_learners(session):
            raise DemoRefused("the database has real learners")
    await conn.rollback()


async def _add_units(conn, rng: random.Random, now: datetime):
    """The demo units (once), and where the new learners' ids and numbers start.
    Returns (units added, all demo units, first learner id, demo learners so far)."""
    async with conn.begin():
        have = set((await conn.execute(select(Unit.code))).scalars())
        plan = [u for u in _units_plan(rng) if u["code"] not in have]
        if plan:
            await conn.execute(insert(Unit.__table__), [{**u, "created_at": now} for u in plan])
        unit_rows = (
            await conn.execute(select(Unit).where(Unit.code.startswith(UNIT_PREFIX)))
        ).all()
        units = [Unit(**dict(r._mapping)) for r in unit_rows]
        start_id = int((await conn.execute(select(func.max(Learner.id)))).scalar() or 0) + 1
        k0 = int(
            (
                await conn.execute(
                    select(func.count()).select_from(Learner).where(Learner.channel == DEMO_CHANNEL)
                )
            ).scalar_one()
        )
    return plan, units, start_id, k0


async def _is_superuser(conn) -> bool:
    return bool(
        (
            await conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        ).scalar()
    )


async def _add_learners(
    conn, gen: _Gen, learners: int, start_id: int, k0: int, pg: bool, fast_fk: bool, progress
) -> tuple[int, int]:
    """Generate and write the learners CHUNK at a time, one transaction per chunk.
    Returns (lesson_progress rows, assessment rows) written."""
    defaults = _defaults()
    defaults["state_data"] = {}
    defaults["choices"] = []
    n_progress = n_assess = 0
    done = 0
    while done < learners:
        size = min(CHUNK, learners - done)
        lrows, prows, arows = [], [], []
        for i in range(size):
            row, p, a = gen.learner(start_id + done + i, k0 + done + i, defaults)
            lrows.append(row)
            prows.extend(p)
            arows.extend(a)
        async with conn.begin():
            if pg:
                await _copy_chunk(conn, fast_fk, lrows, prows, arows)
            else:
                await _insert_chunk(conn, lrows, prows, arows)
        done += size
        n_progress += len(prows)
        n_assess += len(arows)
        if progress:
            progress(done, learners)
    return n_progress, n_assess


async def _copy_chunk(conn, fast_fk: bool, lrows: list, prows: list, arows: list) -> None:
    """Postgres: COPY the rows (asyncpg's copy_records_to_table)."""
    raw = (await conn.get_raw_connection()).driver_connection
    if fast_fk:
        # The rows are consistent by construction: skip the per-row
        # foreign-key triggers (superuser only; else they just run).
        await raw.execute("SET LOCAL session_replication_role = replica")
    lcols = [c.name for c in Learner.__table__.c]
    json_cols = {"state_data", "choices"}
    records = [tuple(json.dumps(r[c]) if c in json_cols else r[c] for c in lcols) for r in lrows]
    await raw.copy_records_to_table("learner", records=records, columns=lcols)
    await raw.copy_records_to_table("lesson_progress", records=prows, columns=PROGRESS_COLS)
    await raw.copy_records_to_table(
        "assessment",
        records=[(*a, "[]") for a in arows],
        columns=(*ASSESSMENT_COLS, "questions"),
    )


async def _insert_chunk(conn, lrows: list, prows: list, arows: list) -> None:
    """SQLite: batched INSERTs."""
    await conn.execute(insert(Learner.__table__), lrows)
    if prows:
        await conn.execute(
            insert(LessonProgress.__table__),
            [dict(zip(PROGRESS_COLS, p, strict=True)) for p in prows],
        )
    if arows:
        await conn.execute(
            insert(Assessment.__table__),
            [{**dict(zip(ASSESSMENT_COLS, a, strict=True)), "questions": []} for a in arows],
        )


async def _set_headcounts(conn, rng: random.Random, gen: _Gen, units: list[Unit]) -> None:
    """Headcounts: agencies and schools have 55-100% of their staff learning, businesses
    30-90%."""
    for u in units:
        n = gen.unit_count.get(u.id, 0)
        cover = rng.uniform(0.55, 1.0) if u.kind in ("agency", "school") else rng.uniform(0.3, 0.9)
        headcount = max(u.headcount or 0, math.ceil(n / cover) if n else rng.randint(3, 12))
        await conn.execute(
            update(Unit.__table__).where(Unit.id == u.id).values(headcount=headcount)
        )


async def _add_core_teams(conn, rng: random.Random, gen: _Gen, now: datetime) -> int:
    """Core teams: most communes have one, not all of them active lately. Returns the
    staff added."""
    have_staff = set(
        (
            await conn.execute(
                select(StaffRole.channel_user_id).where(StaffRole.channel == DEMO_CHANNEL)
            )
        ).scalars()
    )
    rows = []
    for c in communes.all_communes():
        if rng.random() < 0.15:
            continue
        for j in range(rng.randint(1, 3)):
            uid = f"staff-{c.code}-{j}"
            if uid in have_staff:
                continue
            seen = now - timedelta(days=rng.uniform(0, 25 if rng.random() < 0.8 else 90))
            rows.append(
                {"channel": DEMO_CHANNEL, "channel_user_id": uid, "role": "staff",
                 "scope": "commune", "commune_code": c.code, "unit_id": None,
                 "name": gen.name(), "created_at": now - timedelta(weeks=HISTORY_WEEKS),
                 "created_by": "demo", "last_seen_at": seen}
            )  # fmt: skip
    if rows:
        await conn.execute(insert(StaffRole.__table__), rows)
    return len(rows)


async def _add_target_bases(conn, rng: random.Random, gen: _Gen, now: datetime) -> None:
    """Target bases and commune populations (bot/admin/leaderboard.py), unless an admin
    set them: a plausible reach for the demo."""
    bases = set((await conn.execute(select(TargetBase.key))).scalars())
    g = gen.group_count
    wanted = [
        (key, math.ceil(n / share))
        for key, n, share in (
            ("business", g["dn"], 0.62),
            ("citizens", g["dan"] + g["che"], 0.55),
        )
        if key not in bases and n
    ]
    for code, n in sorted(gen.commune_count.items()):
        key = f"{leaderboard.COMMUNE_BASE_PREFIX}{code}"
        if key not in bases:
            wanted.append((key, math.ceil(n / rng.uniform(0.3, 0.8))))
    for key, population in wanted:
        await conn.execute(
            insert(TargetBase.__table__).values(
                key=key, population=population, source=DEMO_SOURCE, updated_at=now
            )
        )


async def _reset_sequences(conn) -> None:
    """Postgres: the id sequences after rows written with explicit ids."""
    for table in SEQUENCE_TABLES:
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )


async def _vacuum(conn) -> None:
    await conn.commit()
    await conn.execution_options(isolation_level="AUTOCOMMIT")
    for table in SEQUENCE_TABLES:
        await conn.execute(text(f"VACUUM ANALYZE {table}"))
