"""The province's targets and what the report's words mean.

The targets (Kế hoạch 237/KH-UBND and the programme's KPIs), as computed:

| target group | learner groups | measure | target |
|---|---|---|---|
| public servants | cb | trained / base | 100% |
|  |  | proficient / base | ≥50% |
| business owners | dn | learners ("reached") / base | ≥80% |
|  |  | proficient ("applying") / learners | ≥50% |
| working-age citizens | dan, che | learners ("in the basic course") / base | ≥80% |
|  |  | proficient / learners | ≥50% |

The base of public servants is the headcount of agency and school units unless an admin
set it (`hocai targets base`); the other two bases come only from an admin. Units are
measured against their headcount (agency/school: the public-servant targets; enterprise/
coop: the business targets); a commune is below target when it has no learners, no
active core team, or fewer than half of its learners proficient.
"""

from dataclasses import dataclass

from bot import policy

ACTIVE_DAYS = 7
CORE_TEAM_ACTIVE_DAYS = 30
COMMUNE_PROFICIENT_PCT = 50
PUBLIC_KINDS = ("agency", "school")
UNIT_KINDS = {
    "agency": "Cơ quan",
    "school": "Trường học",
    "enterprise": "Doanh nghiệp",
    "coop": "Hợp tác xã",
}


@dataclass(frozen=True)
class GroupTarget:
    key: str
    label: str
    groups: tuple[str, ...]
    reach_pct: int | None  # learners / base
    trained_pct: int | None  # trained / base
    proficient_pct: int  # proficient / (base or learners)
    proficient_of_base: bool


TARGETS = (
    GroupTarget("public_servants", "Cán bộ, công chức, viên chức", ("cb",), None, 100, 50, True),
    GroupTarget("business", "Chủ doanh nghiệp, HTX, hộ kinh doanh", ("dn",), 80, None, 50, False),
    GroupTarget(
        "citizens",
        "Người dân trong độ tuổi lao động (người dân, nông dân trồng chè)",
        ("dan", "che"),
        80,
        None,
        50,
        False,
    ),
)
TARGET_KEYS = tuple(t.key for t in TARGETS)


DEFINITIONS = {
    "trained": "completed every lesson of the core modules (M1-M5)",
    "proficient": (
        f"passed the final assessment of their track with at least {policy.PASS_PERCENT}% "
        "of the answers right"
    ),
    "learner": "finished onboarding (consent, group, commune)",
}
DEFINITIONS_VI = {
    "trained": "Đã học xong phần cơ bản: hoàn thành mọi bài của các module chung (M1–M5).",
    "proficient": (
        "Thành thạo: đạt bài kiểm tra cuối khóa của lộ trình, đúng từ "
        f"{policy.PASS_PERCENT}% số câu trở lên."
    ),
}
