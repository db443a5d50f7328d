"""Which failures are not the learner's and not a bug: the database or the network is
down or slow. The engine raises Unavailable for them, and the channels answer the
platform 503 so it delivers the update again later (docs/DEPLOY.md, "Outages").
"""

import asyncio

from sqlalchemy import exc as sa_exc

# SQLSTATE classes of a server that is going away or overloaded, or of a transaction
# that lost a race and may simply be run again: 08 connection exception, 53 insufficient
# resources, 57 operator intervention (shutdown, statement timeout); 40001 serialization
# failure, 40P01 deadlock.
TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57")
TRANSIENT_SQLSTATES = ("40001", "40P01")


class Unavailable(Exception):
    """The update could not be handled now for reasons outside it: try again later."""


def is_infrastructure(error: BaseException) -> bool:
    """True for a failure of the database or the network (the whole cause chain is
    looked at: SQLAlchemy wraps the driver's error, which wraps the socket's)."""
    seen: set[int] = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, Unavailable | sa_exc.DisconnectionError | sa_exc.TimeoutError):
            return True
        if isinstance(e, sa_exc.DBAPIError):
            if e.connection_invalidated or isinstance(
                e, sa_exc.OperationalError | sa_exc.InterfaceError
            ):
                return True
            state = _sqlstate(e.orig)
            if state and (state[:2] in TRANSIENT_SQLSTATE_CLASSES or state in TRANSIENT_SQLSTATES):
                return True
        if isinstance(e, OSError | TimeoutError | asyncio.TimeoutError | ConnectionError):
            return True
        if type(e).__module__.startswith("asyncpg") and "Connection" in type(e).__name__:
            return True
        e = e.__cause__ or e.__context__
    return False


def _sqlstate(orig: object) -> str | None:
    for attr in ("sqlstate", "pgcode"):
        value = getattr(orig, attr, None)
        if isinstance(value, str):
            return value
    inner = getattr(orig, "__cause__", None)
    value = getattr(inner, "sqlstate", None)
    return value if isinstance(value, str) else None
