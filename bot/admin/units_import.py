"""Import units (agencies, schools, enterprises, cooperatives) with their headcounts from
a CSV: code, name, commune code, kind, headcount. All or nothing: any bad line and
nothing is written; every problem is reported as "line N: message".

Headers may be English or Vietnamese (code|mã, name|tên, commune_code|mã xã, kind|loại,
headcount|biên chế); comma, semicolon or tab separated; UTF-8 with or without BOM. An
existing code is updated (name, commune, kind, headcount), a new one added.
"""

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import communes
from bot.textutil import fold
from storage.models import AuditLog, Unit

MAX_ROWS = 20_000
KINDS = ("agency", "school", "enterprise", "coop")
KIND_ALIASES = {
    "co quan": "agency",
    "truong": "school",
    "truong hoc": "school",
    "doanh nghiep": "enterprise",
    "htx": "coop",
    "hop tac xa": "coop",
}
HEADERS = {
    "code": "code",
    "ma": "code",
    "ma don vi": "code",
    "ma tham gia": "code",
    "name": "name",
    "ten": "name",
    "ten don vi": "name",
    "commune_code": "commune_code",
    "commune code": "commune_code",
    "commune": "commune_code",
    "ma xa": "commune_code",
    "ma xa/phuong": "commune_code",
    "kind": "kind",
    "loai": "kind",
    "headcount": "headcount",
    "bien che": "headcount",
    "so nguoi": "headcount",
}
REQUIRED = ("code", "name")


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def parse(data: bytes) -> tuple[list[dict], list[str]]:
    """Rows as dicts (code, name, commune_code, kind, headcount) and the problems found."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], ["line 1: the file is not UTF-8 text (save it as «CSV UTF-8»)"]
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        return [], ["line 1: the file is empty"]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader)
    columns = [HEADERS.get(fold(h).strip().lower()) for h in header]
    errors = [f"line 1: missing column '{c}'" for c in REQUIRED if c not in columns]
    if errors:
        return [], errors
    known = communes.by_code()
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for n, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            errors.append(f"line {n}: more than {MAX_ROWS} units in one file")
            break
        raw = {col: cells[i].strip() for i, col in enumerate(columns) if col and i < len(cells)}
        code = raw.get("code", "").upper()
        row: dict[str, Any] = {"code": code, "name": raw.get("name", ""), "commune_code": None}
        if not code or len(code) > 32 or any(ch.isspace() for ch in code):
            errors.append(f"line {n}: code must be 1-32 characters without spaces")
        elif code in seen:
            errors.append(f"line {n}: code {code} already on line {seen[code]}")
        seen.setdefault(code, n)
        if not row["name"] or len(row["name"]) > 200:
            errors.append(f"line {n}: name must be 1-200 characters")
        commune = raw.get("commune_code", "")
        if commune:
            if not commune.isdigit() or int(commune) not in known:
                errors.append(f"line {n}: no commune with code {commune!r} in Thái Nguyên")
            else:
                row["commune_code"] = int(commune)
        kind = raw.get("kind", "") or "agency"
        kind = KIND_ALIASES.get(fold(kind).strip().lower(), kind.strip().lower())
        if kind not in KINDS:
            errors.append(f"line {n}: kind must be one of {', '.join(KINDS)}")
        row["kind"] = kind
        headcount = raw.get("headcount", "").replace(".", "").replace(",", "")
        if headcount:
            if not headcount.isdigit() or int(headcount) > 10_000_000:
                errors.append(f"line {n}: headcount must be a whole number")
            else:
                row["headcount"] = int(headcount)
        rows.append(row)
    if not rows and not errors:
        errors.append("line 2: no units in the file")
    return rows, errors


async def import_units(session: AsyncSession, data: bytes, actor: str) -> ImportResult:
    """Parse and upsert in the caller's transaction (nothing written if any error)."""
    rows, errors = parse(data)
    result = ImportResult(errors=errors)
    if errors:
        return result
    codes = [r["code"] for r in rows]
    existing = {
        u.code: u
        for chunk in range(0, len(codes), 500)
        for u in (
            await session.execute(select(Unit).where(Unit.code.in_(codes[chunk : chunk + 500])))
        ).scalars()
    }
    for r in rows:
        unit = existing.get(r["code"])
        if unit is None:
            session.add(Unit(**r))
            result.added += 1
        else:
            unit.name, unit.commune_code, unit.kind = r["name"], r["commune_code"], r["kind"]
            if "headcount" in r:
                unit.headcount = r["headcount"]
            result.updated += 1
    session.add(
        AuditLog(
            actor=actor[:64],
            action="units_imported",
            detail={"added": result.added, "updated": result.updated},
        )
    )
    await session.flush()
    return result
