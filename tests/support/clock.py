"""A clock the test sets by hand, injected where the code takes `clock=`."""

from datetime import datetime


class Clock:
    """`clock()` is `clock.now`; a test moves time with `clock.now += timedelta(...)`."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now
