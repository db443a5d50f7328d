"""Column types shared by the models."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

if TYPE_CHECKING:
    # For the type checker a model field is a mapped column: `Learner.id == 3` is a SQL
    # expression, `learner.id` an int. SQLModel types the class attribute as the value.
    from sqlalchemy.orm import Mapped as Col
else:

    class Col:
        """At run time `Col[int]` is just `int`, the annotation SQLModel reads."""

        def __class_getitem__(cls, item: Any) -> Any:
            return item


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones and hands back naive values; this puts UTC back on them.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
