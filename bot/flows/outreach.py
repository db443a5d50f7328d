"""/canbo: the staff menu in the chat: stalled learners of their scope (nudge through the
bot, or note "đã gọi"), the leaderboard, broadcasts.

Stateless: every button carries what it needs (so:<step>[:<arg>...]) and is checked again
against bot/admin/roles.py when pressed, so an old or forged button naming a learner
outside the caller's scope changes nothing. A learner typing /canbo gets /trogiup's help.
"""

from bot import actions as A
from bot import communes
from bot.admin import leaderboard
from bot.admin.roles import Perm, Principal, allowed, principal_for
from bot.config import get_settings
from bot.flows.common import TO_MENU
from bot.flows.context import Context
from bot.messages import Choice, Outbound
from bot.outreach import stalled
from bot.textutil import vn_number
from lessons.limits import LEARNER_GROUPS

VERB = "so"
PAGE = 5  # learners per message: one phone screen
TOP = 10  # communes shown in the chat leaderboard


def act(*args: object) -> str:
    return A.make(VERB, *args)


def claims(ctx: Context) -> bool:
    return ctx.action is not None and ctx.action.verb == VERB


async def route(ctx: Context, command: str | None) -> list[Outbound] | None:
    """The flow's reply, or None when the caller is not staff (the engine answers)."""
    settings = get_settings()
    who = await principal_for(ctx.repo.session, settings, ctx.inbound.channel, ctx.inbound.user_id)
    if not allowed(who, Perm.view):
        return None
    if command == "canbo":
        return [await _menu(ctx, who)]
    args = ctx.action.args if ctx.action else ()
    match args:
        case ("m",):
            return [await _menu(ctx, who)]
        case ("ls", offset) if offset.isdigit():
            return [await _list(ctx, who, int(offset))]
        case ("lb",):
            return [await _leaderboard(ctx, who)]
        case ("n" | "c" as what, learner_id, offset) if learner_id.isdigit() and offset.isdigit():
            return await _act_on(ctx, who, what, int(learner_id), int(offset))
    return [Outbound("Nút này đã cũ nên mình bỏ qua.", (Choice("Việc của cán bộ", act("m")),))]


async def _where(ctx: Context, who: Principal) -> str:
    scope = who.scope
    if scope.kind == "commune":
        c = communes.by_code().get(scope.commune)
        return c.name if c else f"xã/phường {scope.commune}"
    if scope.kind == "unit":
        unit = await ctx.repo.unit(scope.unit_id)
        return unit.name if unit else "đơn vị của bạn"
    return "toàn tỉnh"


def _thresholds() -> dict:
    s = get_settings()
    return {"ignored": s.stalled_after_ignored, "days": s.stalled_after_days}


async def _menu(ctx: Context, who: Principal) -> Outbound:
    n = await stalled.count(ctx.repo.session, who.scope, ctx.now, ctx.tz, **_thresholds())
    choices = [
        Choice(f"Người học cần nhắc ({vn_number(n)})", act("ls", 0)),
        Choice("Bảng thi đua", act("lb")),
    ]
    if allowed(who, Perm.broadcast):
        choices.append(Choice("Thông báo", A.make(A.BROADCAST, "ls")))
    choices.append(TO_MENU)
    return Outbound(
        f"👥 Việc của cán bộ ({await _where(ctx, who)}).\n"
        "Mỗi thứ Hai lúc 8:00 mình gửi bạn bản tổng kết tuần. "
        "Gõ /dangnhap để mở trang quản trị.",
        tuple(choices),
    )


async def _list(ctx: Context, who: Principal, offset: int, note: str = "") -> Outbound:
    session, t = ctx.repo.session, _thresholds()
    total = await stalled.count(session, who.scope, ctx.now, ctx.tz, **t)
    if total and offset >= total:
        offset = max(0, (total - 1) // PAGE * PAGE)
    rows = await stalled.page(session, who.scope, ctx.now, ctx.tz, limit=PAGE, offset=offset, **t)
    head = f"{note}\n\n" if note else ""
    where = await _where(ctx, who)
    if not rows:
        return Outbound(
            f"{head}✅ {where} chưa có người học nào cần nhắc.",
            (Choice("Việc của cán bộ", act("m")), TO_MENU),
        )
    today = ctx.local(ctx.now).date()
    lines = [
        f"{head}🔔 Người học cần nhắc ({where}): {vn_number(total)} người "
        f"(bỏ qua từ {t['ignored']} lần nhắc, hoặc {t['days']} ngày chưa học).",
    ]
    choices: list[Choice] = []
    names = communes.by_code()
    for i, r in enumerate(rows, start=offset + 1):
        commune = names.get(r.commune_code)
        where_bits = [LEARNER_GROUPS.get(r.group or "", "chưa chọn nhóm")]
        if commune and who.scope.kind != "commune":
            where_bits.append(commune.name)
        if r.unit_name:
            where_bits.append(r.unit_name)
        facts = [f"{r.days_idle(today)} ngày chưa học"]
        if r.reminders_ignored:
            facts.append(f"bỏ qua {r.reminders_ignored} lần nhắc")
        if r.reminders_off:
            facts.append("đã tắt nhắc")
        if r.last_nudge:
            facts.append(f"đã nhắc {ctx.local(r.last_nudge):%d/%m}")
        if r.last_call:
            facts.append(f"đã gọi {ctx.local(r.last_call):%d/%m}")
        name = r.name or f"Người học {r.pid}"
        lines.append(f"\n{i}. {name} · {' · '.join(where_bits)}\n   {' · '.join(facts)}")
        if allowed(who, Perm.broadcast):
            if not r.reminders_off:
                choices.append(Choice(f"Nhắc {i}", act("n", r.id, offset)))
            choices.append(Choice(f"Đã gọi {i}", act("c", r.id, offset)))
    lines.append(
        "\nChọn «Nhắc N» để trợ lý gửi người đó một lời nhắc riêng (mỗi người tối đa một "
        "lần một ngày), hoặc «Đã gọi N» khi bạn đã gọi điện hay gặp trực tiếp."
    )
    if offset + PAGE < total:
        choices.append(Choice("Trang sau", act("ls", offset + PAGE)))
    if offset:
        choices.append(Choice("Trang trước", act("ls", max(0, offset - PAGE))))
    choices.append(Choice("Việc của cán bộ", act("m")))
    return Outbound("\n".join(lines), tuple(choices))


async def _act_on(
    ctx: Context, who: Principal, what: str, learner_id: int, offset: int
) -> list[Outbound]:
    if not allowed(who, Perm.broadcast):
        return [await _list(ctx, who, offset, "Tài khoản này không được nhắn người học.")]
    repo, session = ctx.repo, ctx.repo.session
    if what == "n":
        outcome = await stalled.nudge(
            session, who, learner_id, ctx.catalog, ctx.now, ctx.tz, ctx.quiet
        )
    else:
        outcome = await stalled.mark_called(session, who, learner_id, ctx.now)
    name = None
    if outcome != stalled.Outcome.not_found:
        learner = await repo.learner(learner_id)
        name = learner.display_name if learner else None
    await repo.flush()
    return [await _list(ctx, who, offset, stalled.describe(outcome, name))]


async def _leaderboard(ctx: Context, who: Principal) -> Outbound:
    board = await leaderboard.cached_board(ctx.repo.session, ctx.now)
    lines = ["🏆 Bảng thi đua các xã, phường (tỷ lệ học xong phần cơ bản):"]
    for s in board.communes[:TOP]:
        lines.append(f"{s.rank}. {s.name}: {_pct(s.trained_pct)}{_change(s.change)}")
    mine = board.commune(who.scope.commune) if who.scope.kind != "province" else None
    if mine is not None and mine.rank > TOP:
        lines.append(f"…\n{mine.rank}. {mine.name}: {_pct(mine.trained_pct)}{_change(mine.change)}")
    lines.append("\nXem đầy đủ (cả đơn vị) trên trang quản trị, mục «Thi đua».")
    return Outbound("\n".join(lines), (Choice("Việc của cán bộ", act("m")), TO_MENU))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%".replace(".", ",")


def _change(change: int | None) -> str:
    if not change:
        return ""
    return f" (↑{change})" if change > 0 else f" (↓{-change})"
