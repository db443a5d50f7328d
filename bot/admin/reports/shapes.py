"""The targets report's shapes: counts, metrics against a target, rows per target,
commune and unit, and the report with its JSON for the admin API."""

from dataclasses import dataclass, field
from datetime import datetime

from bot.admin.reports.targets import DEFINITIONS
from bot.admin.roles import Scope


@dataclass
class Counts:
    learners: int = 0
    trained: int = 0
    proficient: int = 0
    active: int = 0  # active in the last ACTIVE_DAYS days

    def add(self, other: "Counts") -> None:
        self.learners += other.learners
        self.trained += other.trained
        self.proficient += other.proficient
        self.active += other.active


def pct(part: int, whole: int | None) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Metric:
    label: str
    value: int
    of: int | None  # the denominator; None when unknown
    target_pct: int

    @property
    def pct(self) -> float | None:
        return pct(self.value, self.of)

    @property
    def met(self) -> bool | None:
        return None if self.pct is None else self.pct >= self.target_pct


@dataclass
class TargetRow:
    key: str
    label: str
    groups: tuple[str, ...]
    base: int | None
    base_source: str
    counts: Counts
    metrics: list[Metric]

    @property
    def met(self) -> bool | None:
        states = [m.met for m in self.metrics]
        return None if None in states else all(states)


@dataclass
class CommuneRow:
    code: int
    name: str
    kind: str
    counts: Counts
    team: int  # core team members (staff scoped to the commune or a unit in it)
    team_active: int  # of them, seen in the last CORE_TEAM_ACTIVE_DAYS days
    flags: list[str] = field(default_factory=list)

    @property
    def proficient_pct(self) -> float | None:
        return pct(self.counts.proficient, self.counts.learners)

    @property
    def trained_pct(self) -> float | None:
        return pct(self.counts.trained, self.counts.learners)


@dataclass
class UnitRow:
    id: int
    code: str
    name: str
    kind: str
    commune_code: int | None
    commune_name: str
    headcount: int | None
    counts: Counts
    metrics: list[Metric]
    flags: list[str] = field(default_factory=list)

    @property
    def trained_pct(self) -> float | None:
        return pct(self.counts.trained, self.headcount)

    @property
    def proficient_pct(self) -> float | None:
        return pct(self.counts.proficient, self.headcount)


@dataclass
class Report:
    generated_at: datetime
    scope: Scope
    total: Counts
    groups: dict[str, Counts]
    targets: list[TargetRow]
    communes: list[CommuneRow]
    units: list[UnitRow]

    @property
    def communes_below(self) -> int:
        return sum(1 for c in self.communes if c.flags)

    @property
    def units_below(self) -> int:
        return sum(1 for u in self.units if u.flags)

    def as_dict(self) -> dict:
        """JSON for the admin API (English keys)."""

        def counts(c: Counts) -> dict:
            return {
                "learners": c.learners,
                "trained": c.trained,
                "proficient": c.proficient,
                "active_7d": c.active,
            }

        def metric(m: Metric) -> dict:
            return {
                "label": m.label,
                "value": m.value,
                "of": m.of,
                "percent": m.pct,
                "target_percent": m.target_pct,
                "met": m.met,
            }

        return {
            "generated_at": self.generated_at.isoformat(),
            "scope": self.scope.__dict__,
            "definitions": DEFINITIONS,
            "total": counts(self.total),
            "groups": {g: counts(c) for g, c in self.groups.items()},
            "targets": [
                {
                    "key": t.key,
                    "label": t.label,
                    "learner_groups": list(t.groups),
                    "base": t.base,
                    "base_source": t.base_source,
                    **counts(t.counts),
                    "metrics": [metric(m) for m in t.metrics],
                    "met": t.met,
                }
                for t in self.targets
            ],
            "communes": [
                {
                    "code": c.code,
                    "name": c.name,
                    **counts(c.counts),
                    "core_team": c.team,
                    "core_team_active": c.team_active,
                    "below_target": bool(c.flags),
                    "flags": c.flags,
                }
                for c in self.communes
            ],
            "units": [
                {
                    "code": u.code,
                    "name": u.name,
                    "kind": u.kind,
                    "commune_code": u.commune_code,
                    "headcount": u.headcount,
                    **counts(u.counts),
                    "trained_percent": u.trained_pct,
                    "proficient_percent": u.proficient_pct,
                    "below_target": bool(u.flags),
                    "flags": u.flags,
                }
                for u in self.units
            ],
        }
