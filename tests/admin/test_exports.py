"""Exports of 10,000 demo learners read back with csv and openpyxl, cell by cell against
values computed here independently (plain Python over the tables, policy.py's rules);
the CSV has a BOM, Vietnamese is intact, and the totals match the targets report."""

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select

from bot import communes, policy
from bot.admin import export as exp
from bot.admin.demo import seed
from bot.admin.reports.service import ReportService
from bot.admin.roles import PROVINCE, Filter, Scope
from lessons.limits import LEARNER_GROUPS
from storage.models import Assessment, Certificate, Learner, LessonProgress, Unit

N = 10_000
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def half_up(part: int, whole: int) -> int:
    return int(100 * part / whole + 0.5)


async def expected_rows(sessions, catalog) -> list[list]:
    """One expected export row per learner, computed without the export's SQL."""
    async with sessions() as s:
        learners = (await s.execute(select(Learner).order_by(Learner.id))).scalars().all()
        units = {u.id: u for u in (await s.execute(select(Unit))).scalars()}
        done = defaultdict(dict)
        for p in (await s.execute(select(LessonProgress))).scalars():
            if p.completed_at:
                done[p.learner_id][p.lesson_id] = p
        certificates = {
            c.learner_id: c.number
            for c in (await s.execute(select(Certificate))).scalars()
            if c.revoked_at is None
        }
        exams = defaultdict(list)
        for a in (await s.execute(select(Assessment))).scalars():
            if a.finished_at:
                exams[a.learner_id].append(a)
    names = communes.by_code()
    core = policy.core_lessons(catalog)
    rows, exact = [], []  # exact: the local times to the microsecond, two per row
    for ln in learners:
        if ln.status == "onboarding":
            continue
        group = ln.group_code or "dan"
        track = [les.id for les in catalog.track(group)]
        completed = done[ln.id]
        scored = [p for p in completed.values() if p.total]
        total_q = sum(p.total for p in scored)
        mine = [a for a in exams[ln.id] if a.track == group]
        best = max((half_up(a.score, a.total) for a in mine if a.total), default=None)

        def local(d: datetime) -> str:
            exact.append(d.astimezone(TZ).replace(tzinfo=None))
            return d.astimezone(TZ).strftime("%Y-%m-%d %H:%M")

        rows.append(
            [
                ln.pid,
                ln.display_name or "",
                LEARNER_GROUPS[ln.group_code],
                names[ln.commune_code].name,
                units[ln.unit_id].name if ln.unit_id else "",
                local(ln.created_at),
                local(ln.last_active_at),
                sum(1 for lid in track if lid in completed),
                len(track),
                half_up(sum(1 for lid in core if lid in completed), len(core)),
                half_up(sum(p.score for p in scored), total_q) if total_q else None,
                best,
                "Có" if policy.is_trained(catalog, set(completed)) else "Không",
                "Có" if any(a.passed for a in mine) else "Không",
                certificates.get(ln.id, ""),
            ]
        )
    return rows, exact


@pytest.fixture
async def province(engine, catalog, clean):
    result = await seed(engine, catalog, N, seed_value=11)
    assert result.learners == N
    return result


async def test_exports_of_10000_learners_cell_by_cell(sessions, catalog, province, tmp_path):
    expected, exact = await expected_rows(sessions, catalog)
    assert len(expected) == N
    reports = ReportService(sessions, catalog, ttl=0)
    report = await reports.report()

    # CSV: BOM, header, every cell.
    job = exp.Export("csv", Filter(), "admin:test", PROVINCE)
    csv_path = tmp_path / "p.csv"
    assert await exp.write_export(sessions, catalog, reports, job, csv_path, TZ) == N
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "Cán bộ, công chức, viên chức".encode() in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == exp.HEADER
    assert len(rows) == N + 1
    for got, want in zip(rows[1:], expected, strict=True):
        assert got == ["" if v is None else str(v) for v in want], (got, want)

    # XLSX: the data sheet cell by cell (real dates and numbers), then the summary.
    job = exp.Export("xlsx", Filter(), "admin:test", PROVINCE)
    xlsx_path = tmp_path / "p.xlsx"
    assert await exp.write_export(sessions, catalog, reports, job, xlsx_path, TZ) == N
    wb = openpyxl.load_workbook(xlsx_path, read_only=True)
    assert wb.sheetnames == ["Tổng hợp", "Phễu học", "Tiến độ học"]
    data = wb["Tiến độ học"].iter_rows(values_only=True)
    assert next(data) == exp.HEADER
    n = 0
    for got, want in zip(data, expected, strict=True):
        got, want = list(got), [None if v == "" else v for v in want]  # "" is a blank cell
        for j, i in enumerate(exp.DATE_COLUMNS):
            assert isinstance(got[i], datetime)
            assert abs((got[i] - exact[2 * n + j]).total_seconds()) < 0.01, (got[i], n)
            got[i] = want[i]
        assert got == want, (got, want)
        n += 1
    assert n == N

    summary = {r[0]: r for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and r[0]}
    total = summary["Tổng cộng"]
    trained = sum(1 for r in expected if r[12] == "Có")
    proficient = sum(1 for r in expected if r[13] == "Có")
    assert total[1:4] == (N, trained, proficient)
    assert (report.total.learners, report.total.trained, report.total.proficient) == (
        N,
        trained,
        proficient,
    )
    for code, label in LEARNER_GROUPS.items():
        in_group = [r for r in expected if r[2] == label]
        assert summary[label][1:4] == (
            len(in_group),
            sum(1 for r in in_group if r[12] == "Có"),
            sum(1 for r in in_group if r[13] == "Có"),
        )
        assert report.groups[code].learners == len(in_group)
    for c in report.communes:
        assert summary[c.name][1] == sum(1 for r in expected if r[3] == c.name)
    wb.close()


async def test_filtered_export_matches_the_commune_report(sessions, catalog, province, tmp_path):
    code = 1840
    name = communes.by_code()[code].name
    reports = ReportService(sessions, catalog, ttl=0)
    job = exp.Export("csv", Filter(commune=code), "admin:test", Scope("commune", code))
    path = tmp_path / "c.csv"
    rows = await exp.write_export(sessions, catalog, reports, job, path, TZ)
    lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))[1:]
    assert len(lines) == rows > 0 and {line[3] for line in lines} == {name}
    report = await reports.report(Scope("commune", code))
    assert report.total.learners == rows
    assert report.total.trained == sum(1 for line in lines if line[12] == "Có")
    assert [c.code for c in report.communes] == [code]


def test_timestamps_in_file_names():
    now = datetime(2026, 11, 27, 2, 5, 9, tzinfo=UTC)
    assert exp.filename("xlsx", now, TZ) == "tien-do-hoc-vien_20261127-090509.xlsx"
