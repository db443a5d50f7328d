"""The targets report of one scope, summed up from the province-wide snapshot."""

from dataclasses import dataclass
from datetime import datetime

from bot import communes as communes_mod
from bot.admin.reports.shapes import CommuneRow, Counts, Metric, Report, TargetRow, UnitRow
from bot.admin.reports.targets import COMMUNE_PROFICIENT_PCT, PUBLIC_KINDS, TARGETS
from bot.admin.roles import Filter, Scope, scope_filter
from lessons.limits import LEARNER_GROUPS
from storage.models import TargetBase, Unit, stored_id


@dataclass
class Snapshot:
    """Everything the report needs, small: grouped counts, units, core teams, bases."""

    at: datetime
    rows: list[tuple]  # (group, commune, unit_id, Counts)
    units: list[Unit]
    team: dict[int, tuple[int, int]]  # commune -> (members, active)
    unit_team: dict[int, tuple[int, int]]  # unit -> (members, active)
    bases: dict[str, TargetBase]


def _in(flt: Filter, commune, unit_id) -> bool:
    return (flt.commune is None or commune == flt.commune) and (
        flt.unit_id is None or unit_id == flt.unit_id
    )


def _unit_metrics(kind: str, headcount: int | None, c: Counts) -> list[Metric]:
    if kind in PUBLIC_KINDS:
        return [
            Metric("Đã học xong cơ bản", c.trained, headcount, 100),
            Metric("Thành thạo", c.proficient, headcount, 50),
        ]
    return [
        Metric("Đã tham gia học", c.learners, headcount, 80),
        Metric("Thành thạo (trong số đã học)", c.proficient, c.learners or None, 50),
    ]


def build_report(snap: Snapshot, scope: Scope) -> Report:
    flt = scope_filter(scope)
    total, groups = Counts(), {g: Counts() for g in LEARNER_GROUPS}
    by_commune: dict[int, Counts] = {}
    by_unit: dict[int, Counts] = {}
    for group, commune, unit_id, c in snap.rows:
        if not _in(flt, commune, unit_id):
            continue
        total.add(c)
        groups.setdefault(group or "?", Counts()).add(c)
        by_commune.setdefault(commune, Counts()).add(c)
        if unit_id is not None:
            by_unit.setdefault(unit_id, Counts()).add(c)
    units_in = [
        u
        for u in snap.units
        if scope.kind == "province"
        or (scope.kind == "commune" and u.commune_code == scope.commune)
        or (scope.kind == "unit" and u.id == scope.unit_id)
    ]
    return Report(
        snap.at,
        scope,
        total,
        groups,
        _target_rows(snap, scope, groups, units_in),
        _commune_rows(snap, scope, by_commune),
        _unit_rows(snap, scope, units_in, by_unit),
    )


def _unit_rows(
    snap: Snapshot, scope: Scope, units_in: list[Unit], by_unit: dict[int, Counts]
) -> list[UnitRow]:
    names = communes_mod.by_code()
    # A unit's figures cover all its learners (also those living in another commune).
    unit_counts: dict[int, Counts] = {}
    if scope.kind == "commune":
        wanted = {u.id for u in units_in}
        for _g, _c, unit_id, c in snap.rows:
            if unit_id in wanted:
                unit_counts.setdefault(unit_id, Counts()).add(c)
    else:
        unit_counts = by_unit

    unit_rows = []
    for u in units_in:
        c = unit_counts.get(stored_id(u), Counts())
        metrics = _unit_metrics(u.kind, u.headcount, c)
        flags = [
            f"{m.label} {_fmt_pct(m.pct)} < {m.target_pct}%" for m in metrics if m.met is False
        ]
        commune = names.get(u.commune_code) if u.commune_code else None
        unit_rows.append(
            UnitRow(
                stored_id(u),
                u.code,
                u.name,
                u.kind,
                u.commune_code,
                commune.name if commune else "",
                u.headcount,
                c,
                metrics,
                flags,
            )
        )
    return unit_rows


def _commune_rows(snap: Snapshot, scope: Scope, by_commune: dict[int, Counts]) -> list[CommuneRow]:
    names = communes_mod.by_code()
    if scope.kind == "province":
        commune_codes = [c.code for c in communes_mod.all_communes()]
    else:
        commune_codes = [scope.commune] if scope.commune in names else []
    commune_rows = []
    for code in commune_codes:
        c = by_commune.get(code, Counts())
        members, active = snap.team.get(code, (0, 0))
        row = CommuneRow(code, names[code].name, names[code].kind, c, members, active)
        if not c.learners:
            row.flags.append("Chưa có người học")
        if not active:
            row.flags.append("Chưa có nhóm nòng cốt hoạt động")
        p = row.proficient_pct
        if p is not None and p < COMMUNE_PROFICIENT_PCT:
            row.flags.append(f"Thành thạo {_fmt_pct(p)} < {COMMUNE_PROFICIENT_PCT}%")
        commune_rows.append(row)
    return commune_rows


def _target_rows(
    snap: Snapshot, scope: Scope, groups: dict[str, Counts], units_in: list[Unit]
) -> list[TargetRow]:
    public_headcount = sum(u.headcount or 0 for u in units_in if u.kind in PUBLIC_KINDS)
    targets = []
    for t in TARGETS:
        c = Counts()
        for g in t.groups:
            c.add(groups.get(g, Counts()))
        base, source = None, "chưa có số liệu"
        stored = snap.bases.get(t.key) if scope.kind == "province" else None
        if stored is not None:
            base, source = stored.population, stored.source or "quản trị viên nhập"
        elif t.key == "public_servants" and public_headcount:
            base, source = public_headcount, "tổng biên chế các cơ quan, trường học đã nhập"
        metrics = []
        if t.reach_pct is not None:
            metrics.append(Metric("Đã tham gia học", c.learners, base, t.reach_pct))
        if t.trained_pct is not None:
            metrics.append(Metric("Đã học xong cơ bản", c.trained, base, t.trained_pct))
        of = base if t.proficient_of_base else (c.learners or None)
        label = "Thành thạo" if t.proficient_of_base else "Thành thạo (trong số đã học)"
        metrics.append(Metric(label, c.proficient, of, t.proficient_pct))
        targets.append(TargetRow(t.key, t.label, t.groups, base, source, c, metrics))
    return targets


def _fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%".replace(".", ",")
