"""A broadcast on its way and after: what each learner receives (`body`, which the
dispatcher reads), progress and the final report counted from the outbox statuses,
cancelling, and the audit trail."""

import logging
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.roles import Forbidden, Perm, Principal, may_manage_broadcast
from bot.channels import limits
from bot.messages import Outbound
from bot.outreach import outbox
from bot.textutil import vn_number
from storage.models import (
    AuditLog,
    Broadcast,
    BroadcastStatus,
    OutboxMessage,
    OutboxStatus,
    stored_id,
)

log = logging.getLogger("hocai.broadcasts")

ACTIVE = (BroadcastStatus.scheduled, BroadcastStatus.queueing, BroadcastStatus.sending)
REPORT_KIND = "bc_report"
# Why a message was skipped (outbox.error of a 'skipped' row), as the report says it.
SKIP_REASONS = {
    limits.SKIP_OUTSIDE_WINDOW: "ngoài 48 giờ kể từ tin nhắn cuối của người học (Zalo OA)",
}


class NotFound(Exception):
    """No such broadcast."""


class NotActive(Exception):
    """The broadcast is already done or cancelled."""


def text_length(text: str) -> int:
    """Length as the messengers count it: UTF-16 code units (an emoji may count 2)."""
    return len(text.encode("utf-16-le")) // 2


def body(text: str, link: str | None) -> str:
    """What the learners receive: the text as written, the link on its own line."""
    return f"{text}\n\n{link}" if link else text


def actor_of(bc: Broadcast) -> str:
    return f"{bc.author_role}:{bc.author_channel}:{bc.author_user_id}"[:64]


def audit(session: AsyncSession, actor: str, action: str, bc: Broadcast, **extra) -> None:
    """An audit row with author, audience, counts and times (never the text)."""

    def iso(t):
        return t.isoformat(timespec="seconds") if t else None

    detail = {
        "broadcast": bc.id,
        "author": actor_of(bc),
        "audience": {k: v for k, v in bc.audience.items()},
        "recipients": bc.recipients,
        "status": bc.status,
        "created_at": iso(bc.created_at),
        "scheduled_at": iso(bc.scheduled_at),
        "started_at": iso(bc.started_at),
        "finished_at": iso(bc.finished_at),
        "text_length": text_length(body(bc.text, bc.link)),
        **extra,
    }
    session.add(AuditLog(actor=actor[:64], action=action, detail=detail))


# --- cancel -------------------------------------------------------------------------------


async def cancel(session: AsyncSession, who: Principal, broadcast_id: int, now: datetime):
    """Cancel a scheduled, queueing or sending broadcast: its author or an admin.
    Unsent rows are marked cancelled in the same transaction. Returns the broadcast."""
    bc = (
        await session.execute(
            select(Broadcast).where(Broadcast.id == broadcast_id).with_for_update()
        )
    ).scalar_one_or_none()
    if bc is None:
        raise NotFound(broadcast_id)
    if not may_manage_broadcast(who, bc.author_channel, bc.author_user_id):
        raise Forbidden(Perm.broadcast.value)
    if bc.status not in ACTIVE:
        raise NotActive(bc.status)
    await cancel_locked(session, bc, now, who.actor)
    return bc


async def cancel_locked(
    session: AsyncSession, bc: Broadcast, now: datetime, actor: str, reason: str = ""
) -> None:
    """Cancel a broadcast whose row this transaction holds locked."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == bc.id,
            OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending]),
        )
        .values(status=OutboxStatus.cancelled, claimed_until=None)
    )
    counts = await counts_of(session, bc)
    bc.status, bc.finished_at = BroadcastStatus.cancelled, now
    bc.delivered = counts[OutboxStatus.sent]
    bc.blocked = counts[OutboxStatus.blocked]
    bc.failed = counts[OutboxStatus.failed]
    bc.skipped = counts[OutboxStatus.skipped]
    extra = {"reason": reason} if reason else {}
    audit(session, actor, "broadcast_cancelled", bc, outcome=_outcome(bc, counts), **extra)
    log.info("broadcast %s cancelled by %s", bc.id, actor)


# --- progress -----------------------------------------------------------------------------


async def outcomes(session: AsyncSession, ids: list[int]) -> dict[int, Counter]:
    """Outbox rows per status, per broadcast."""
    if not ids:
        return {}
    stmt = (
        select(OutboxMessage.broadcast_id, OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id.in_(ids))
        .group_by(OutboxMessage.broadcast_id, OutboxMessage.status)
    )
    out: dict[int, Counter] = {}
    for bc_id, status, n in await session.execute(stmt):
        assert bc_id is not None  # the where clause picks rows of these broadcasts
        out.setdefault(bc_id, Counter())[status] = int(n)
    return out


async def counts_of(session: AsyncSession, bc: Broadcast) -> Counter:
    """One broadcast's outbox rows per status."""
    bc_id = stored_id(bc)
    return (await outcomes(session, [bc_id])).get(bc_id, Counter())


def _outcome(bc: Broadcast, counts: Counter) -> dict:
    return {
        "recipients": bc.recipients,
        "queued": bc.queued,
        "delivered": counts[OutboxStatus.sent],
        "blocked": counts[OutboxStatus.blocked],
        "failed": counts[OutboxStatus.failed],
        "skipped": counts[OutboxStatus.skipped],
        "not_sent": counts[OutboxStatus.cancelled],
    }


async def recent(session: AsyncSession, stmt_filter: list, limit: int = 5):
    """[(broadcast, counts)] newest first, for the chat list and the dashboard."""
    rows = list(
        (
            await session.execute(
                select(Broadcast).where(*stmt_filter).order_by(Broadcast.id.desc()).limit(limit)
            )
        ).scalars()
    )
    ids = [stored_id(b) for b in rows]
    counts = await outcomes(session, ids)
    return [(b, counts.get(i, Counter())) for b, i in zip(rows, ids, strict=True)]


def when_text(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%H:%M ngày %d/%m/%Y")


def status_line(bc: Broadcast, counts: Counter, tz: ZoneInfo) -> str:
    """One broadcast in Vietnamese, with its progress: "đã gửi 1.240/5.000"."""
    sent = counts[OutboxStatus.sent]
    total = bc.recipients
    troubles = []
    if counts[OutboxStatus.blocked]:
        troubles.append(f"{vn_number(counts[OutboxStatus.blocked])} đã chặn trợ lý")
    if counts[OutboxStatus.failed]:
        troubles.append(f"{vn_number(counts[OutboxStatus.failed])} lỗi")
    if counts[OutboxStatus.skipped]:
        troubles.append(f"{vn_number(counts[OutboxStatus.skipped])} bỏ qua")
    extra = f" ({', '.join(troubles)})" if troubles else ""
    if bc.status == BroadcastStatus.scheduled:
        assert bc.scheduled_at is not None  # composing.create schedules only with a time
        state = f"hẹn gửi lúc {when_text(bc.scheduled_at, tz)}, khoảng {vn_number(total)} người"
    elif bc.status in (BroadcastStatus.queueing, BroadcastStatus.sending):
        state = f"đang gửi: đã gửi {vn_number(sent)}/{vn_number(total)}{extra}"
    elif bc.status == BroadcastStatus.done:
        state = f"đã xong: đã gửi {vn_number(sent)}/{vn_number(total)}{extra}"
    else:
        state = f"đã hủy: đã gửi {vn_number(sent)}/{vn_number(total)}{extra}"
    preview = bc.text if len(bc.text) <= 40 else bc.text[:39].rstrip() + "…"
    return f"#{bc.id} «{preview}» – {bc.audience.get('label', '')}\n   {state}"


# --- the final report ---------------------------------------------------------------------


async def skip_reasons(session: AsyncSession, broadcast_id: int) -> Counter:
    """The skipped rows of a broadcast, per reason."""
    stmt = (
        select(OutboxMessage.error, func.count())
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.status == OutboxStatus.skipped,
        )
        .group_by(OutboxMessage.error)
    )
    return Counter({error or "": int(n) for error, n in await session.execute(stmt)})


def report_text(bc: Broadcast, tz: ZoneInfo, skipped: Counter | None = None) -> str:
    lines = [
        f"📢 Thông báo #{bc.id} đã gửi xong ({bc.audience.get('label', '')}).",
        f"• Đã nhận: {vn_number(bc.delivered or 0)}/{vn_number(bc.recipients)}",
        f"• Đã chặn trợ lý: {vn_number(bc.blocked or 0)}",
        f"• Lỗi, không gửi được: {vn_number(bc.failed or 0)}",
    ]
    for reason, n in sorted((skipped or Counter()).items()):
        why = SKIP_REASONS.get(reason, "lý do khác")
        lines.append(f"• Không gửi vì {why}: {vn_number(n)}")
    if bc.started_at and bc.finished_at:
        lines.append(
            f"Bắt đầu {when_text(bc.started_at, tz)}, xong {when_text(bc.finished_at, tz)}."
        )
    return "\n".join(lines)


async def finish_if_decided(session, bc: Broadcast, now: datetime, tz: ZoneInfo) -> None:
    """Once every row is decided: mark the broadcast done, count the outcomes and queue
    the report to its author."""
    counts = await counts_of(session, bc)
    if counts[OutboxStatus.pending] or counts[OutboxStatus.sending]:
        return
    bc.status, bc.finished_at = BroadcastStatus.done, now
    bc.delivered = counts[OutboxStatus.sent]
    bc.blocked = counts[OutboxStatus.blocked]
    bc.skipped = counts[OutboxStatus.skipped]
    counted = (OutboxStatus.sent, OutboxStatus.blocked, OutboxStatus.skipped)
    bc.failed = sum(n for s, n in counts.items() if s not in counted)
    reasons = await skip_reasons(session, stored_id(bc)) if bc.skipped else Counter()
    report = outbox.row(
        f"bcr:{bc.id}",
        bc.author_channel,
        bc.author_user_id,
        [Outbound(report_text(bc, tz, reasons))],
        kind=REPORT_KIND,
        now=now,
    )
    await outbox.enqueue_many(session, [report])
    audit(session, actor_of(bc), "broadcast_finished", bc, outcome=_outcome(bc, counts))
    log.info(
        "broadcast %s done: %d delivered, %d blocked, %d failed, %d skipped %s",
        bc.id,
        bc.delivered,
        bc.blocked,
        bc.failed,
        bc.skipped,
        dict(reasons),
    )
