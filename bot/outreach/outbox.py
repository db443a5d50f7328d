"""The durable outbox: messages queued in the database, claimed and sent by a dispatcher.

Writing is idempotent (a unique dedup key, insert-or-ignore), claiming is safe with
several processes (FOR UPDATE SKIP LOCKED on Postgres; SQLite has a single writer), and a
claim is a lease: rows of a dispatcher that died become claimable again when it expires.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy import select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Choice, Outbound
from storage.models import OutboxMessage, OutboxStatus

# A claimed row is retried by others after this (default of OUTBOX_LEASE_SECONDS). Long
# enough for a batch to be sent: a lease that runs out while its dispatcher still sends
# (a stall, a long 429 pause) lets another dispatcher send the same row again.
LEASE = timedelta(seconds=60)


def encode(messages: list[Outbound]) -> list[dict]:
    return [
        {
            "text": m.text,
            "choices": [[c.label, c.action] for c in m.choices],
            "kind": m.kind,
            "attachment": m.attachment,
        }
        for m in messages
    ]


def decode(rows: list[dict]) -> list[Outbound]:
    return [
        Outbound(
            r["text"],
            tuple(Choice(label, action) for label, action in r.get("choices", [])),
            kind=r.get("kind", "text"),
            attachment=r.get("attachment"),
        )
        for r in rows
    ]


async def enqueue_many(session: AsyncSession, rows: list[dict]) -> int:
    """Insert outbox rows (dicts of OutboxMessage fields); rows whose dedup_key is already
    queued are skipped. Returns how many rows were new."""
    if not rows:
        return 0
    for row in rows:
        row.setdefault("status", OutboxStatus.pending)
        row.setdefault("attempts", 0)
    if session.bind.dialect.name == "postgresql":
        return await _insert_unnest(session, rows)
    # The rows as parameters of one statement, not as its VALUES: the statement is then
    # compiled once and cached, and sent in batches of multi-row INSERTs (SQLAlchemy's
    # "insertmanyvalues"); RETURNING counts the new rows. Building a 1,000-row VALUES
    # clause each time took most of a reminder tick (docs/PERFORMANCE.md).
    table = OutboxMessage.__table__
    stmt = (
        sqlite_insert(table)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(table.c.id)
    )
    result = await session.execute(stmt, rows)
    return len(result.all())


# Postgres: all the rows in one INSERT whose values are arrays, one per column (unnest
# makes them rows again): one statement and one round trip for the whole batch, however
# many rows; the rowcount counts the new rows (ON CONFLICT DO NOTHING skips the others).
# Messages are the exception: many rows share theirs (a reminder's text is built once
# for all the learners who get it), so each distinct one is sent once, in `:messages`,
# and each row names its own by position (`message_no`, from 1).
_PG_INSERT = text(
    """
    INSERT INTO outbox (dedup_key, channel, user_id, learner_id, kind, broadcast_id,
        messages, status, attempts, next_attempt_at, created_at)
    SELECT v.dedup_key, v.channel, v.user_id, v.learner_id, v.kind, v.broadcast_id,
        (CAST(:messages AS json[]))[v.message_no], v.status, v.attempts,
        v.next_attempt_at, v.created_at
    FROM unnest(
        CAST(:dedup_key AS text[]), CAST(:channel AS text[]), CAST(:user_id AS text[]),
        CAST(:learner_id AS integer[]), CAST(:kind AS text[]),
        CAST(:broadcast_id AS integer[]), CAST(:message_no AS integer[]),
        CAST(:status AS text[]), CAST(:attempts AS integer[]),
        CAST(:next_attempt_at AS timestamptz[]), CAST(:created_at AS timestamptz[])
    ) AS v(dedup_key, channel, user_id, learner_id, kind, broadcast_id, message_no,
        status, attempts, next_attempt_at, created_at)
    ON CONFLICT (dedup_key) DO NOTHING
    """
)
_ARRAYS = [  # the columns sent as arrays, one element per row
    "dedup_key",
    "channel",
    "user_id",
    "learner_id",
    "kind",
    "broadcast_id",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
]


async def _insert_unnest(session: AsyncSession, rows: list[dict]) -> int:
    params = {c: [row[c] for row in rows] for c in _ARRAYS}
    params["messages"], params["message_no"] = [], []
    seen: dict[int, int] = {}  # id() of a messages list: all the rows are alive meanwhile
    for row in rows:
        key = id(row["messages"])
        if key not in seen:
            params["messages"].append(json.dumps(row["messages"]))
            seen[key] = len(params["messages"])
        params["message_no"].append(seen[key])
    result = await session.execute(_PG_INSERT, params)
    return result.rowcount


def row(
    dedup_key: str,
    channel: str,
    user_id: str,
    messages: list[Outbound],
    *,
    kind: str,
    now: datetime,
    learner_id: int | None = None,
    broadcast_id: int | None = None,
    not_before: datetime | None = None,
) -> dict:
    return {
        "dedup_key": dedup_key,
        "channel": channel,
        "user_id": user_id,
        "learner_id": learner_id,
        "kind": kind,
        "broadcast_id": broadcast_id,
        "messages": encode(messages),
        "next_attempt_at": not_before or now,
        "created_at": now,
    }


# The claim's conditions spelt as the partial indexes' predicates (ix_outbox_pending,
# ix_outbox_sending; migration 0014), with the status as a literal: with a bound status
# the planner's generic plan could not use them.
_PENDING = text("outbox.status = 'pending'")
_SENDING = text("outbox.status = 'sending'")


async def claim(
    session: AsyncSession,
    now: datetime,
    limit: int,
    channels: list[str] | None = None,
    lease: timedelta = LEASE,
) -> list:
    """Take up to `limit` due rows for this dispatcher (status sending, leased until
    now + lease: OUTBOX_LEASE_SECONDS): rows whose lease has expired first (their
    dispatcher died), then pending rows, oldest first. Plain rows (attribute access like
    the model, the values after the claim), not ORM objects: claiming is on the
    dispatcher's hot path, and nothing here needs the identity map."""
    t = OutboxMessage.__table__
    if session.bind.dialect.name == "postgresql":
        # The partial indexes give the claim order: never sort. A broadcast queues its
        # rows faster than autovacuum analyzes the table, and with statistics that still
        # count a handful of rows the planner sorted a million instead (2 s a claim at
        # 1,000,000 queued, 13 ms with the index; docs/PERFORMANCE.md, "Broadcast").
        await session.execute(text("SET LOCAL enable_sort = off"))
    expired = (_SENDING, t.c.claimed_until < now), (t.c.claimed_until, t.c.id)
    pending = (_PENDING, t.c.next_attempt_at <= now), (t.c.next_attempt_at, t.c.id)
    rows: list = []
    for where, order in (expired, pending):
        ids = select(t.c.id).where(*where)
        if channels is not None:
            ids = ids.where(t.c.channel.in_(channels))
        ids = ids.order_by(*order).limit(limit - len(rows)).with_for_update(skip_locked=True)
        # One statement per kind: the rows are locked, marked and returned together.
        stmt = (
            update(t)
            .where(t.c.id.in_(ids.scalar_subquery()))
            .values(status=OutboxStatus.sending, claimed_until=now + lease)
            .returning(*t.c)
        )
        found = (await session.execute(stmt)).all()
        rows += sorted(found, key=lambda r: (r.next_attempt_at, r.id))
        if len(rows) >= limit:
            break
    return rows


# Postgres, the dispatcher's claim on the driver's own connection: the same two
# statements as claim(), without the ORM's per-row result processing or the pool's
# pre-ping (docs/PERFORMANCE.md, Broadcast). $1 claimed_until, $2 limit, $3 channels,
# $4 now.
_CLAIM_SQL = """
UPDATE outbox SET status = 'sending', claimed_until = $1
WHERE id IN (
    SELECT id FROM outbox WHERE {where} AND channel = ANY($3::text[])
    ORDER BY {order} LIMIT $2 FOR UPDATE SKIP LOCKED)
RETURNING id, channel, user_id, learner_id, kind, broadcast_id, messages, attempts,
    next_attempt_at
"""
_CLAIM_EXPIRED = _CLAIM_SQL.format(
    where="status = 'sending' AND claimed_until < $4", order="claimed_until, id"
)
_CLAIM_PENDING = _CLAIM_SQL.format(
    where="status = 'pending' AND next_attempt_at <= $4", order="next_attempt_at, id"
)


@dataclass(slots=True)
class Claimed:
    """A claimed row: the columns the dispatcher reads (the order of _CLAIM_SQL)."""

    id: int
    channel: str
    user_id: str
    learner_id: int | None
    kind: str
    broadcast_id: int | None
    messages: list
    attempts: int
    next_attempt_at: datetime


async def claim_pg(
    conn: asyncpg.Connection,
    now: datetime,
    limit: int,
    channels: list[str],
    lease: timedelta = LEASE,
) -> list[Claimed]:
    """claim() on Postgres, on a driver connection outside any transaction."""
    rows: list[Claimed] = []
    async with conn.transaction():
        await conn.execute("SET LOCAL enable_sort = off")  # see claim()
        for stmt in (_CLAIM_EXPIRED, _CLAIM_PENDING):
            found = [
                Claimed(*r)
                for r in await conn.fetch(stmt, now + lease, limit - len(rows), channels, now)
            ]
            for r in found:
                if isinstance(r.messages, str):  # a connection without SQLAlchemy's codec
                    r.messages = json.loads(r.messages)
            rows += sorted(found, key=lambda r: (r.next_attempt_at, r.id))
            if len(rows) >= limit:
                break
    return rows
