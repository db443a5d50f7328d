"""Reminder times: the next valid slot for a learner, in Vietnam time, stored in UTC.

Pure functions of (preferences, now), so the scheduler, the engine and the tests agree.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
QUIET_START, QUIET_END = time(21, 30), time(7, 0)  # no reminders at night
WEEK = timedelta(days=7)
# A slot missed by more than this (downtime) is skipped, not sent late.
LATE_GRACE = timedelta(hours=1)


def parse_hhmm(hhmm: str) -> time:
    hour, minute = hhmm.split(":")
    return time(int(hour), int(minute))


def is_quiet(at: time, start: time = QUIET_START, end: time = QUIET_END) -> bool:
    if start > end:  # the quiet span crosses midnight
        return at >= start or at < end
    return start <= at < end


def local_day(now: datetime, tz: ZoneInfo = VN) -> date:
    return now.astimezone(tz).date()


def next_slot(
    hhmm: str, days: str, after: datetime, weekly: bool = False, tz: ZoneInfo = VN
) -> datetime | None:
    """The first reminder time strictly after `after` on one of `days` (ISO weekdays as
    digits, "1234567" = every day). Weekly mode: the first slot a week or more later."""
    if not hhmm or not days:
        return None
    at = parse_hhmm(hhmm)
    start = after + WEEK - timedelta(days=1) if weekly else after
    day = local_day(start, tz)
    for offset in range(0, 15):
        candidate = datetime.combine(day + timedelta(days=offset), at, tzinfo=tz)
        if str(candidate.isoweekday()) in days and candidate > start:
            return candidate.astimezone(ZoneInfo("UTC"))
    return None
