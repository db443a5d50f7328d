"""Learner progress exports, one row per learner, streamed: rows come from the database in
batches (a server-side cursor on Postgres) and go straight to the file, so memory stays
flat at a million learners.

- CSV: UTF-8 with a BOM (Excel shows Vietnamese correctly only then), comma-separated,
  times as "YYYY-MM-DD HH:MM" in Vietnam time (unambiguous in every Excel locale).
- XLSX: XlsxWriter in constant-memory mode; a summary sheet ("Tổng hợp": the targets
  report for the same scope) and the data sheet ("Tiến độ học"), real dates and numbers.

Every export is written to the audit log: who, when, format, filter, rows.
"""

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import communes
from bot.admin import funnel
from bot.admin.reports.queries import per_learner_select
from bot.admin.reports.service import ReportService
from bot.admin.reports.shapes import Report
from bot.admin.reports.targets import DEFINITIONS_VI
from bot.admin.roles import Filter, Scope
from lessons.limits import LEARNER_GROUPS
from lessons.loader import Catalog
from storage.models import AuditLog, Unit
from storage.types import utcnow

BATCH = 5000
FORMATS = ("csv", "xlsx")
BOM = "\ufeff"
YES, NO = "Có", "Không"
COLUMNS = (
    ("Mã người học", 13),
    ("Tên hiển thị", 24),
    ("Nhóm", 28),
    ("Xã/phường", 22),
    ("Đơn vị", 30),
    ("Ngày tham gia", 16),
    ("Hoạt động gần nhất", 16),
    ("Số bài đã xong", 9),
    ("Tổng số bài", 9),
    ("Hoàn thành phần cơ bản (%)", 12),
    ("Điểm TB câu hỏi (%)", 11),
    ("Điểm kiểm tra cuối khóa (%)", 12),
    ("Đã học xong cơ bản", 11),
    ("Thành thạo", 10),
    ("Số giấy chứng nhận", 14),  # the valid one, if any (bot/certificates)
)
HEADER = tuple(name for name, _ in COLUMNS)
DATE_COLUMNS = (5, 6)
EXCEL_EPOCH = datetime(1899, 12, 30)
ONE_DAY = timedelta(days=1)


def filename(fmt: str, now: datetime, tz: ZoneInfo) -> str:
    return f"tien-do-hoc-vien_{now.astimezone(tz):%Y%m%d-%H%M%S}.{fmt}"


def media_type(fmt: str) -> str:
    if fmt == "csv":
        return "text/csv; charset=utf-8"
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Export:
    """One export's parameters: the (already narrowed) filter, who asked, the scope whose
    targets report goes on the summary sheet."""

    fmt: str
    flt: Filter
    actor: str
    scope: Scope


class _Rows:
    """Turns database rows into export values (Vietnamese labels; local times)."""

    def __init__(self, tz: ZoneInfo):
        self.communes = {c.code: c.name for c in communes.all_communes()}
        self.groups = LEARNER_GROUPS
        now = datetime.now(UTC)
        jan, jul = now.replace(month=1, day=1), now.replace(month=7, day=1)
        # Vietnam has one offset all year: add it instead of a zone lookup per value.
        self.fixed = tz.utcoffset(jan) == tz.utcoffset(jul)
        self.offset = tz.utcoffset(now) or timedelta(0)
        self.tz = tz

    def _local(self, d: datetime) -> datetime:
        if d.tzinfo is None:  # SQLite: naive UTC
            d = d.replace(tzinfo=UTC)
        if self.fixed:
            return (d + self.offset).replace(tzinfo=None)
        return d.astimezone(self.tz).replace(tzinfo=None)

    def _common(self, r: Sequence[Any]) -> list:
        (_id, pid, name, group, commune, _ucode, uname, created, last) = r[:9]
        done, total, core_pct, quiz_pct, best, trained, proficient, certificate = r[9:17]
        return [
            pid,
            name or "",
            self.groups.get(group or "", ""),
            self.communes.get(commune, "") if commune is not None else "",
            uname or "",
            self._local(created) if created is not None else None,
            self._local(last) if last is not None else None,
            int(done),
            int(total),
            int(core_pct),
            None if quiz_pct is None else int(quiz_pct),
            None if best is None else int(best),
            YES if trained else NO,
            YES if proficient else NO,
            certificate or "",
        ]

    def csv(self, r: Sequence[Any]) -> list:
        v = self._common(r)
        for i in DATE_COLUMNS:
            v[i] = v[i].isoformat(" ", "minutes") if v[i] is not None else ""
        return v

    def xlsx(self, r: Sequence[Any]) -> list:
        v = self._common(r)
        for i in DATE_COLUMNS:
            if v[i] is not None:
                v[i] = (v[i] - EXCEL_EPOCH) / ONE_DAY
        return v


async def _batches(
    sessions: async_sessionmaker[AsyncSession], catalog: Catalog, flt: Filter
) -> AsyncIterator[Sequence[Row[Any]]]:
    stmt = per_learner_select(catalog, flt).execution_options(yield_per=BATCH)
    async with sessions() as session:
        result = await session.stream(stmt)
        async for part in result.partitions(BATCH):
            yield part


def _csv_text(values: Iterable) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(values)
    return buf.getvalue()


async def csv_chunks(
    sessions: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    job: Export,
    tz: ZoneInfo,
    counter: list[int] | None = None,
) -> AsyncIterator[bytes]:
    """The CSV as byte chunks (BOM first). counter[0] holds the rows written so far."""
    conv = _Rows(tz)
    counter = counter if counter is not None else [0]
    yield (BOM + _csv_text([HEADER])).encode("utf-8")
    async for part in _batches(sessions, catalog, job.flt):
        counter[0] += len(part)
        yield _csv_text(map(conv.csv, part)).encode("utf-8")


class _Xlsx:
    """A constant-memory workbook: the summary sheet first, then rows one by one."""

    def __init__(self, path: Path):
        self.wb = xlsxwriter.Workbook(
            str(path),
            {"constant_memory": True, "tmpdir": str(path.parent), "strings_to_numbers": False},
        )
        self.summary = self.wb.add_worksheet("Tổng hợp")
        self.funnel = self.wb.add_worksheet("Phễu học")  # bot/admin/funnel.py
        self.data = self.wb.add_worksheet("Tiến độ học")
        self.bold = self.wb.add_format({"bold": True})
        self.head = self.wb.add_format({"bold": True, "text_wrap": True, "bg_color": "#E8F0E0"})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.date = self.wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        self.pct = self.wb.add_format({"num_format": "0.0"})
        self.red = self.wb.add_format({"font_color": "#B00020"})
        self.row = 1
        for i, (_name, width) in enumerate(COLUMNS):
            self.data.set_column(i, i, width, self.date if i in DATE_COLUMNS else None)
        self.data.write_row(0, 0, HEADER, self.head)
        self.data.freeze_panes(1, 0)

    def add(self, values: list[list]) -> None:
        write, row = self.data.write_row, self.row
        for v in values:
            write(row, 0, v)
            row += 1
        self.row = row

    def close(self, rows: int) -> None:
        if rows:
            self.data.autofilter(0, 0, rows, len(COLUMNS) - 1)
        self.wb.close()


def write_summary(x: _Xlsx, report: Report, job: Export, tz: ZoneInfo, now: datetime) -> None:
    ws, r = x.summary, 0
    ws.set_column(0, 0, 44)
    ws.set_column(1, 9, 14)

    def line(*cells: object, fmt: Any = None) -> None:
        nonlocal r
        for i, c in enumerate(cells):
            if c is None:
                continue
            ws.write(r, i, c, fmt)
        r += 1

    line("Báo cáo tiến độ «Bình dân học AI» – Thái Nguyên", fmt=x.title)
    line("Thời điểm xuất", now.astimezone(tz).strftime("%d/%m/%Y %H:%M"))
    line("Phạm vi", describe_filter(job.flt))
    line("Người xuất", job.actor)
    line(DEFINITIONS_VI["trained"])
    line(DEFINITIONS_VI["proficient"])
    r += 1
    line("Chỉ tiêu theo nhóm", fmt=x.bold)
    line(
        "Nhóm",
        "Số cần đạt (cơ sở)",
        "Người học",
        "Học xong cơ bản",
        "Thành thạo",
        "Chỉ tiêu",
        "Tỉ lệ (%)",
        "Mục tiêu (%)",
        "Đạt?",
        fmt=x.head,
    )
    for t in report.targets:
        for i, m in enumerate(t.metrics):
            head = (t.label, t.base, t.counts.learners, t.counts.trained, t.counts.proficient)
            line(
                *(head if i == 0 else ("", None, None, None, None)),
                m.label,
                m.pct,
                m.target_pct,
                "—" if m.met is None else (YES if m.met else NO),
            )
    r += 1
    line("Theo nhóm người học", fmt=x.bold)
    line("Nhóm", "Người học", "Học xong cơ bản", "Thành thạo", "Hoạt động 7 ngày", fmt=x.head)
    for g, counts in report.groups.items():
        line(
            LEARNER_GROUPS.get(g, g),
            counts.learners,
            counts.trained,
            counts.proficient,
            counts.active,
        )
    total = report.total
    line("Tổng cộng", total.learners, total.trained, total.proficient, total.active, fmt=x.bold)
    r += 1
    line("Theo xã, phường", fmt=x.bold)
    line(
        "Xã/phường",
        "Người học",
        "Học xong cơ bản",
        "Thành thạo",
        "Nhóm nòng cốt",
        "Đang hoạt động",
        "Dưới chỉ tiêu",
        fmt=x.head,
    )
    for row in report.communes:
        line(
            row.name,
            row.counts.learners,
            row.counts.trained,
            row.counts.proficient,
            row.team,
            row.team_active,
            "; ".join(row.flags),
        )
    r += 1
    line("Theo đơn vị", fmt=x.bold)
    line(
        "Đơn vị",
        "Mã",
        "Biên chế",
        "Người học",
        "Học xong cơ bản",
        "Thành thạo",
        "% học xong",
        "% thành thạo",
        "Dưới chỉ tiêu",
        fmt=x.head,
    )
    for u in report.units:
        line(
            u.name,
            u.code,
            u.headcount,
            u.counts.learners,
            u.counts.trained,
            u.counts.proficient,
            u.trained_pct,
            u.proficient_pct,
            "; ".join(u.flags),
        )


def describe_filter(flt: Filter, unit: Unit | None = None) -> str:
    parts = []
    if flt.commune is not None:
        c = communes.by_code().get(flt.commune)
        parts.append(c.name if c else f"xã/phường {flt.commune}")
    if flt.unit_id is not None:
        parts.append(f"đơn vị {unit.name}" if unit else f"đơn vị #{flt.unit_id}")
    if flt.group is not None:
        parts.append(f"nhóm {LEARNER_GROUPS.get(flt.group, flt.group)}")
    return ", ".join(parts) or "Toàn tỉnh"


async def _audit(
    sessions: async_sessionmaker[AsyncSession],
    job: Export,
    rows: int,
    name: str,
    complete: bool = True,
) -> None:
    async with sessions() as session, session.begin():
        session.add(
            AuditLog(
                actor=job.actor[:64],
                action="progress_exported",
                detail={
                    "format": job.fmt,
                    "filter": job.flt.as_dict(),
                    "rows": rows,
                    "file": name,
                    "complete": complete,
                },
            )
        )


async def write_export(
    sessions: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    reports: ReportService,
    job: Export,
    path: Path,
    tz: ZoneInfo,
) -> int:
    """Write the export to `path`; return the number of learner rows. Audited."""
    now = utcnow()
    rows = 0
    if job.fmt == "csv":
        counter = [0]
        with open(path, "wb") as f:
            async for chunk in csv_chunks(sessions, catalog, job, tz, counter):
                f.write(chunk)
        rows = counter[0]
    else:
        report = await reports.report(job.scope)
        x = _Xlsx(path)
        try:
            write_summary(x, report, job, tz, now)
            formats = {"title": x.title, "head": x.head, "bold": x.bold}
            async with sessions() as session:
                await funnel.write_sheet(x.funnel, formats, session, job.flt, now, tz)
            conv = _Rows(tz)
            async for part in _batches(sessions, catalog, job.flt):
                values = [conv.xlsx(r) for r in part]
                await asyncio.to_thread(x.add, values)
                rows += len(part)
        finally:
            await asyncio.to_thread(x.close, rows)
    await _audit(sessions, job, rows, path.name)
    return rows


async def xlsx_tempfile(
    sessions: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    reports: ReportService,
    job: Export,
    tz: ZoneInfo,
) -> tuple[Path, int]:
    """An XLSX written to a temporary file (the caller deletes it after sending)."""
    fd, name = tempfile.mkstemp(prefix="hocai-export-", suffix=".xlsx")
    os.close(fd)
    path = Path(name)
    try:
        rows = await write_export(sessions, catalog, reports, job, path, tz)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, rows


async def audited_csv_stream(
    sessions: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    job: Export,
    tz: ZoneInfo,
    name: str,
) -> AsyncIterator[bytes]:
    """The CSV for an HTTP response; audited when it ends (also if the client left)."""
    counter, complete = [0], False
    try:
        async for chunk in csv_chunks(sessions, catalog, job, tz, counter):
            yield chunk
        complete = True
    finally:
        await _audit(sessions, job, counter[0], name, complete)
