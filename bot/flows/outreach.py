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
from bot.flows.texts import common as shared
from bot.flows.texts import outreach as texts
from bot.messages import Choice, Outbound
from bot.outreach import stalled
from bot.textutil import vn_number
from lessons.limits import LEARNER_GROUPS

VERB = "so"
PAGE = 5  # learners per message: one phone screen
TOP = 10  # communes shown in the chat leaderboard


def act(*args: object) -> str:
    return A.make(VERB, *args)


def _to_staff_menu() -> Choice:
    return Choice(texts.STAFF_MENU, act("m"))


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
    args = ctx.args if ctx.action else ()
    match args:
        case ("m",):
            return [await _menu(ctx, who)]
        case ("ls", offset) if offset.isdigit():
            return [await _list(ctx, who, int(offset))]
        case ("lb",):
            return [await _leaderboard(ctx, who)]
        case ("n" | "c" as what, learner_id, offset) if learner_id.isdigit() and offset.isdigit():
            return await _act_on(ctx, who, what, int(learner_id), int(offset))
    return [Outbound(shared.STALE_BUTTON, (_to_staff_menu(),))]


async def _where(ctx: Context, who: Principal) -> str:
    scope = who.staff_scope
    if scope.kind == "commune":
        c = communes.lookup(scope.commune)
        return c.name if c else shared.commune_code(scope.commune)
    if scope.kind == "unit":
        unit = await ctx.repo.unit(scope.unit_id)
        return unit.name if unit else shared.YOUR_UNIT
    return shared.PROVINCE


def _thresholds() -> dict:
    s = get_settings()
    return {"ignored": s.stalled_after_ignored, "days": s.stalled_after_days}


async def _menu(ctx: Context, who: Principal) -> Outbound:
    n = await stalled.count(ctx.repo.session, who.staff_scope, ctx.now, ctx.tz, **_thresholds())
    choices = [
        Choice(texts.stalled_count(vn_number(n)), act("ls", 0)),
        Choice(texts.LEADERBOARD, act("lb")),
    ]
    if allowed(who, Perm.broadcast):
        choices.append(Choice(texts.BROADCASTS, A.make(A.BROADCAST, "ls")))
    choices.append(TO_MENU)
    return Outbound(texts.menu(await _where(ctx, who)), tuple(choices))


async def _list(ctx: Context, who: Principal, offset: int, note: str = "") -> Outbound:
    session, t = ctx.repo.session, _thresholds()
    total = await stalled.count(session, who.staff_scope, ctx.now, ctx.tz, **t)
    if total and offset >= total:
        offset = max(0, (total - 1) // PAGE * PAGE)
    rows = await stalled.page(
        session, who.staff_scope, ctx.now, ctx.tz, limit=PAGE, offset=offset, **t
    )
    head = f"{note}\n\n" if note else ""
    where = await _where(ctx, who)
    if not rows:
        return Outbound(
            texts.nobody(head, where),
            (_to_staff_menu(), TO_MENU),
        )
    today = ctx.local(ctx.now).date()
    lines = [
        texts.list_head(head, where, vn_number(total), t["ignored"], t["days"]),
    ]
    choices: list[Choice] = []
    for i, r in enumerate(rows, start=offset + 1):
        commune = communes.lookup(r.commune_code)
        where_bits = [LEARNER_GROUPS.get(r.group or "", texts.NO_GROUP)]
        if commune and who.staff_scope.kind != "commune":
            where_bits.append(commune.name)
        if r.unit_name:
            where_bits.append(r.unit_name)
        facts = [texts.days_idle(r.days_idle(today))]
        if r.reminders_ignored:
            facts.append(texts.ignored(r.reminders_ignored))
        if r.reminders_off:
            facts.append(texts.REMINDERS_OFF)
        if r.last_nudge:
            facts.append(texts.nudged(ctx.local(r.last_nudge)))
        if r.last_call:
            facts.append(texts.called(ctx.local(r.last_call)))
        name = r.name or texts.learner(r.pid)
        lines.append(f"\n{i}. {name} · {' · '.join(where_bits)}\n   {' · '.join(facts)}")
        if allowed(who, Perm.broadcast):
            if not r.reminders_off:
                choices.append(Choice(texts.nudge(i), act("n", r.id, offset)))
            choices.append(Choice(texts.mark_called(i), act("c", r.id, offset)))
    lines.append(texts.HOW_TO_ACT)
    if offset + PAGE < total:
        choices.append(Choice(texts.NEXT_PAGE, act("ls", offset + PAGE)))
    if offset:
        choices.append(Choice(texts.PREVIOUS_PAGE, act("ls", max(0, offset - PAGE))))
    choices.append(_to_staff_menu())
    return Outbound("\n".join(lines), tuple(choices))


async def _act_on(
    ctx: Context, who: Principal, what: str, learner_id: int, offset: int
) -> list[Outbound]:
    if not allowed(who, Perm.broadcast):
        return [await _list(ctx, who, offset, texts.MAY_NOT_MESSAGE)]
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
    lines = [texts.LEADERBOARD_HEAD]
    for s in board.communes[:TOP]:
        lines.append(f"{s.rank}. {s.name}: {_pct(s.trained_pct)}{_change(s.change)}")
    mine = board.commune(who.staff_scope.commune) if who.staff_scope.kind != "province" else None
    if mine is not None and mine.rank > TOP:
        lines.append(f"…\n{mine.rank}. {mine.name}: {_pct(mine.trained_pct)}{_change(mine.change)}")
    lines.append(texts.LEADERBOARD_MORE)
    return Outbound("\n".join(lines), (_to_staff_menu(), TO_MENU))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%".replace(".", ",")


def _change(change: int | None) -> str:
    if not change:
        return ""
    return f" (↑{change})" if change > 0 else f" (↓{-change})"
