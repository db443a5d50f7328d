"""Prometheus metrics, all defined here; /metrics (bot/web/app.py) serves them.

Every process keeps its own counters (one Python process each: no multiprocess mode), so
Prometheus scrapes each `serve` and `worker` process; sum() over processes gives the
totals. `hocai_outbox_depth` is read from the database when a worker-role process is
scraped: every worker reports the same number, so take max() of it, not sum().
"""

import logging
import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # no *_created series: half the lines, nothing lost

UPDATES = Counter(
    "hocai_updates", "Inbound updates handled by the engine", ["channel", "kind"]
)  # kind: text | button
DUPLICATES = Counter(
    "hocai_updates_duplicate", "Redelivered updates dropped by the engine", ["channel"]
)
FAILED_UPDATES = Counter(
    "hocai_updates_failed", "Updates a bug stopped: the learner got the apology", ["channel"]
)
UNAVAILABLE = Counter(
    "hocai_updates_unavailable",
    "Updates answered 503 (database or network down): the platform delivers them again",
    ["channel"],
)
INLINE_FALLBACKS = Counter(
    "hocai_sqlite_inline_fallbacks",
    "SQLite transactions run again off the event loop (a lock held elsewhere, a long statement)",
)
HANDLER_SECONDS = Histogram(
    "hocai_handler_seconds",
    "Time to handle one inbound update (engine, database and any model call)",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SENDS = Counter(
    "hocai_outbox_sends",
    "Outbox messages handed to a channel, by result (sent, blocked, retry, failed, skipped…)",
    ["channel", "kind", "result"],
)
OUTBOX_DEPTH = Gauge(
    "hocai_outbox_depth", "Outbox rows not yet sent (pending or sending)", ["channel", "status"]
)
REMINDERS_QUEUED = Counter("hocai_reminders_queued", "Reminders written to the outbox")
REMINDERS_SENT = Counter("hocai_reminders_sent", "Reminders a channel accepted", ["channel"])
LLM_CALLS = Counter(
    "hocai_llm_calls", "Calls to the AI tutor's model", ["model", "outcome"]
)  # outcome: ok | timeout | error
LLM_SECONDS = Histogram(
    "hocai_llm_seconds",
    "AI tutor model latency",
    ["model"],
    buckets=(0.25, 0.5, 1, 2, 4, 8, 15, 30, 60),
)
ERRORS = Counter(
    "hocai_errors", "Log records at ERROR or above, by component (logger name)", ["component"]
)
LEADER = Gauge("hocai_worker_leader", "1 while this worker process holds the leader lock")


def update_kind(inbound: Any) -> str:
    return "button" if getattr(inbound, "action", None) is not None else "text"


def observe_update(inbound: Any, seconds: float) -> None:
    UPDATES.labels(inbound.channel, update_kind(inbound)).inc()
    HANDLER_SECONDS.labels(inbound.channel).observe(seconds)


def observe_send(channel: str, kind: str, result: str) -> None:
    SENDS.labels(channel, kind, result).inc()
    if kind == "reminder" and result == "sent":
        REMINDERS_SENT.labels(channel).inc()


class ErrorCounter(logging.Handler):
    """Counts ERROR and CRITICAL log records: every failure the code logs is an error
    metric without a counter call next to each log line."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        parts = record.name.split(".")
        component = parts[1] if parts[0] == "hocai" and len(parts) > 1 else parts[0]
        ERRORS.labels(component).inc()


def count_errors(logger: logging.Logger | None = None) -> None:
    """Attach the ErrorCounter to the root logger (once)."""
    logger = logger or logging.getLogger()
    if not any(isinstance(h, ErrorCounter) for h in logger.handlers):
        logger.addHandler(ErrorCounter())


def instrument_llm(answerer: Any) -> None:
    """Meter the AI tutor's model calls (bot/tutor/llm.py ChatModel.complete) from the
    outside: the answerer and the practice grader share one ChatModel, wrapped once here.
    Offline tutors (no model) have nothing to meter."""
    model = getattr(answerer, "model", None)
    if model is None or getattr(model, "_hocai_metered", False):
        return
    complete = model.complete
    name = getattr(model, "name", "model")

    async def metered(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await complete(*args, **kwargs)
            outcome = "ok"
            return result
        except Exception as e:
            outcome = "timeout" if str(e) == "timeout" else "error"
            raise
        finally:
            LLM_CALLS.labels(name, outcome).inc()
            LLM_SECONDS.labels(name).observe(time.perf_counter() - started)

    model.complete = metered
    model._hocai_metered = True


async def refresh_outbox_depth(sessions: Any, timeout: float = 2.0) -> None:
    """Set hocai_outbox_depth from the database (called when /metrics is scraped)."""
    import asyncio

    from sqlalchemy import func, select

    from storage.models import OutboxMessage, OutboxStatus

    async def query() -> list:
        async with sessions() as session:
            stmt = (
                select(OutboxMessage.channel, OutboxMessage.status, func.count())
                .where(OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending]))
                .group_by(OutboxMessage.channel, OutboxMessage.status)
            )
            return list((await session.execute(stmt)).all())

    rows = await asyncio.wait_for(query(), timeout)
    OUTBOX_DEPTH.clear()
    for channel in ("telegram", "zalo", "zalo_oa"):
        for status in ("pending", "sending"):
            OUTBOX_DEPTH.labels(channel, status).set(0)
    for channel, status, count in rows:
        OUTBOX_DEPTH.labels(channel, str(status)).set(count)
