"""Thi đua tests: a small known province (learners in communes A and B with milestones at
known times), staff of A, of B, of a unit, an admin; an injected clock (Vietnam = UTC+7)."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.admin import leaderboard
from bot.engine import Engine
from storage.models import Learner, StaffRole, TargetBase, Unit
from tests.support.clock import Clock
from tests.transcript import Chat

COMMUNE_A, COMMUNE_B, COMMUNE_C = 1840, 1843, 1849  # Đức Xuân, Bắc Kạn, Phong Quang
NAME_A, NAME_B = "Phường Đức Xuân", "Phường Bắc Kạn"
STAFF_A, STAFF_B, STAFF_UNIT, ADMIN = "200", "300", "400", "900"


def vn(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """A Vietnam wall-clock time in December 2026, as UTC (7 Dec 2026 is a Monday)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = vn(3, 10)  # Thursday 03/12/2026 10:00


@pytest.fixture(autouse=True)
def _fresh_rank_cache():
    leaderboard.clear_cache()
    yield
    leaderboard.clear_cache()


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def tutor(sessions, catalog, clock):
    return Engine(sessions, catalog, rng=random.Random(7), clock=clock)


def person(uid: str, commune: int, **extra) -> Learner:
    values = {
        "channel": "telegram",
        "channel_user_id": uid,
        "status": "active",
        "group_code": "dan",
        "commune_code": commune,
        "consent_at": NOW - timedelta(days=40),
        "created_at": NOW - timedelta(days=40),
        "last_study_on": "2026-12-02",
        "state": "menu",
        **extra,
    }
    return Learner(**values)


DAY = timedelta(days=1)


@pytest.fixture
async def province(sessions):
    """A: 4 learners (2 trained, one of them 10 days ago, the other 2 days ago; 1
    proficient); B: 2 learners, both trained 20 days ago; C: none. Bases: A 10, B 10.
    Unit UA (commune A, headcount 4) holds two of A's learners.
    Stalled: a3 (ignored 3 reminders), a4 (last studied 20 days ago, opted out of
    reminders), b2 (joined 30 days ago, never studied); a "onboarding" one in A never
    counts."""
    async with sessions() as s, s.begin():
        ua = Unit(code="UA", name="UBND phường Đức Xuân", commune_code=COMMUNE_A, headcount=4)
        s.add(ua)
        await s.flush()
        s.add_all(
            [
                person(
                    "a1",
                    COMMUNE_A,
                    display_name="Nguyễn Văn An",
                    unit_id=ua.id,
                    first_lesson_at=NOW - 30 * DAY,
                    half_track_at=NOW - 20 * DAY,
                    trained_at=NOW - 10 * DAY,
                    proficient_at=NOW - 9 * DAY,
                ),
                person(
                    "a2",
                    COMMUNE_A,
                    display_name="Trần Thị Bình",
                    unit_id=ua.id,
                    first_lesson_at=NOW - 5 * DAY,
                    half_track_at=NOW - 3 * DAY,
                    trained_at=NOW - 2 * DAY,
                ),
                person(
                    "a3",
                    COMMUNE_A,
                    display_name="Lê Văn Cường",
                    first_lesson_at=NOW - 3 * DAY,
                    reminders_ignored=3,
                    created_at=NOW - 3 * DAY,
                ),
                person(
                    "a4",
                    COMMUNE_A,
                    display_name="Phạm Thị Dung",
                    last_study_on="2026-11-13",
                    reminders_off=True,
                ),
                person("a5", COMMUNE_A, status="onboarding", created_at=NOW - 30 * DAY),
                person(
                    "b1",
                    COMMUNE_B,
                    display_name="Hoàng Văn Em",
                    first_lesson_at=NOW - 25 * DAY,
                    half_track_at=NOW - 22 * DAY,
                    trained_at=NOW - 20 * DAY,
                ),
                person(
                    "b2",
                    COMMUNE_B,
                    display_name="Vũ Thị Giang",
                    last_study_on=None,
                    created_at=NOW - 30 * DAY,
                    trained_at=NOW - 20 * DAY,
                    first_lesson_at=NOW - 20 * DAY,
                ),
            ]
        )
        s.add_all(
            [
                TargetBase(key=f"commune:{COMMUNE_A}", population=10),
                TargetBase(key=f"commune:{COMMUNE_B}", population=10),
                StaffRole(
                    channel="telegram",
                    channel_user_id=STAFF_A,
                    role="staff",
                    scope="commune",
                    commune_code=COMMUNE_A,
                    name="Hà",
                ),
                StaffRole(
                    channel="telegram",
                    channel_user_id=STAFF_B,
                    role="staff",
                    scope="commune",
                    commune_code=COMMUNE_B,
                ),
                StaffRole(
                    channel="zalo",
                    channel_user_id=STAFF_UNIT,
                    role="staff",
                    scope="unit",
                    unit_id=ua.id,
                ),
                StaffRole(channel="telegram", channel_user_id=ADMIN, role="admin"),
            ]
        )
    return {"UA": ua.id}


@pytest.fixture
def staff_a(tutor, catalog, province):
    return Chat(tutor, catalog, user_id=STAFF_A, channel="telegram", name="Hà")


@pytest.fixture
def staff_b(tutor, catalog, province):
    return Chat(tutor, catalog, user_id=STAFF_B, channel="telegram", name="Cán bộ B")
