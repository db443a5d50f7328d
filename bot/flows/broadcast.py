"""/thongbao: staff and admins announce something to the learners of their scope.

text → (optional link) → audience inside the scope → preview with the exact recipient
count → send now, or a date and time (Vietnam time) and confirm. /thongbao also lists the
author's recent broadcasts with their progress ("đã gửi 1.240/5.000") and offers to cancel
the ones not finished.

The draft lives in the author's conversation state (nothing is stored before they
confirm); the state they were in before is kept and given back when the draft is sent,
dropped, or left for another command. Every step asks bot/admin/roles.py again (a role
removed mid-way ends the draft), and every audience goes through broadcasts.resolve, so
a forged button naming a commune or unit outside the scope is refused and changes
nothing. A learner typing /thongbao gets the help they get for /trogiup.
"""

import logging
import re
import unicodedata
from datetime import datetime

from bot import actions as A
from bot import communes
from bot.admin.roles import (
    Forbidden,
    Perm,
    Principal,
    allowed,
    may_manage_broadcast,
    principal_for,
)
from bot.config import get_settings
from bot.flows.common import TO_MENU, menu
from bot.flows.context import Context
from bot.flows.states import BROADCAST, ONBOARDING, State
from bot.flows.texts import broadcast as texts
from bot.flows.texts import common as shared
from bot.messages import Choice, Outbound
from bot.outreach import broadcasts as bc
from bot.textutil import vn_number
from lessons.limits import LEARNER_GROUPS
from storage.models import Broadcast, Unit, stored_id

log = logging.getLogger("hocai.flows.broadcast")

DRAFT_NEEDED = {"skip", "am", "a", "pv", "edit", "go", "sch", "ok"}
MAX_UNIT_BUTTONS = 10
RECENT = 5
_URL = re.compile(r"^https?://[^\s<>\"]{1,490}$", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n{3,}")


def act(*args: object) -> str:
    return A.make(A.BROADCAST, *args)


DROP = Choice(texts.DROP, act("q"))
BACK = Choice(shared.BACK, act("am"))
STALE = texts.STALE
NO_LINK = Choice(texts.NO_LINK, act("skip"))
SEE_MINE = Choice(texts.SEE_MINE, act("ls"))


def clean_text(raw: str | None) -> str:
    """An announcement as typed: NFC, no control characters, line breaks kept (at most
    one blank line in a row), spaces at line ends dropped."""
    text = unicodedata.normalize("NFC", raw or "").replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\n":
            kept.append(ch)
        elif ch == "\t":
            kept.append(" ")
        elif cat in ("Cc", "Cs", "Co") or (cat == "Cf" and ch != "\u200d"):
            continue
        else:
            kept.append(ch)
    lines = [line.rstrip() for line in "".join(kept).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def claims(ctx: Context) -> bool:
    """Is this input the broadcast flow's to handle (its button, or its state)?"""
    action = ctx.action
    return ctx.learner.state in BROADCAST or (action is not None and action.verb == A.BROADCAST)


async def route(ctx: Context, command: str | None) -> list[Outbound] | None:
    """The flow's reply, or None: not for this flow (not staff, another command or
    another flow's button), and the engine routes the input as usual."""
    settings = get_settings()
    who = await principal_for(ctx.repo.session, settings, ctx.inbound.channel, ctx.inbound.user_id)
    in_flow = ctx.learner.state in BROADCAST
    action = ctx.action
    if not allowed(who, Perm.broadcast):
        if in_flow:  # the role went away mid-draft: say so, not answer the draft as a question
            return _leave(ctx, texts.ROLE_GONE)
        return None
    if command == "thongbao":
        if in_flow:
            _restore(ctx)
        return await _entry(ctx, who)
    if command is not None or (action is not None and action.verb != A.BROADCAST):
        if in_flow:  # another command or button: the draft is dropped
            _restore(ctx)
        return None
    if action is not None:
        return await _on_action(ctx, who, action.args)
    return await _on_text(ctx, who)


# --- state ------------------------------------------------------------------------------


def _goto(ctx: Context, state: State, **changes) -> None:
    """Move within the flow, keeping the draft; entering, remember where they were."""
    if ctx.learner.state in BROADCAST:
        data = {**ctx.data, **changes}
    else:
        data = {"prev": [ctx.learner.state, ctx.learner.state_data or {}], **changes}
    ctx.learner.state, ctx.learner.state_data = state, data


def _restore(ctx: Context) -> None:
    state, data = (ctx.data.get("prev") or [State.menu, {}])[:2]
    if state in BROADCAST:
        state, data = State.menu, {}
    ctx.learner.state, ctx.learner.state_data = state, data


def _leave(ctx: Context, text: str, choices: tuple[Choice, ...] = ()) -> list[Outbound]:
    _restore(ctx)
    if not choices and ctx.learner.state not in ONBOARDING:
        return [menu(text)]
    return [Outbound(text, choices)]


def _has_draft(ctx: Context) -> bool:
    return ctx.learner.state in BROADCAST and bool(ctx.data.get("text"))


# --- wording ----------------------------------------------------------------------------


async def _where(ctx: Context, who: Principal) -> str:
    """The author's scope in words: "toàn tỉnh", "Phường Đức Xuân", "đơn vị …"."""
    scope = who.staff_scope
    if scope.kind == "commune":
        commune = communes.lookup(scope.commune)
        return commune.name if commune else shared.commune_code(scope.commune)
    if scope.kind == "unit":
        unit = await ctx.repo.unit(scope.unit_id)
        return texts.unit(unit.name) if unit else shared.YOUR_UNIT
    return shared.PROVINCE


def _limits_note() -> str:
    tg, zl = bc.CHANNEL_LIMITS["telegram"], bc.CHANNEL_LIMITS["zalo"]
    return texts.limits(vn_number(tg), vn_number(zl))


# --- entry and list ---------------------------------------------------------------------


async def _entry(ctx: Context, who: Principal) -> list[Outbound]:
    mine = ctx.repo.broadcasts_by(who.channel, who.user_id)
    if await bc.recent(ctx.repo.session, mine, limit=1):
        return await _list(ctx, who)
    return await _compose(ctx, who)


async def _list(ctx: Context, who: Principal) -> list[Outbound]:
    mine = ctx.repo.broadcasts_by(who.channel, who.user_id)
    rows = await bc.recent(ctx.repo.session, mine, limit=RECENT)
    if not rows:
        return [Outbound(texts.NONE_YET, (Choice(texts.COMPOSE, act("new")), TO_MENU))]
    lines = [bc.status_line(b, counts, ctx.tz) for b, counts in rows]
    cancellable = [b for b, _ in rows if b.status in bc.ACTIVE][:3]
    choices = (
        Choice(texts.COMPOSE_NEW, act("new")),
        *(Choice(texts.cancel_button(b.id), act("x", b.id)) for b in cancellable),
        Choice(texts.REFRESH, act("ls")),
        TO_MENU,
    )
    return [Outbound(texts.RECENT_HEAD + "\n\n".join(lines), choices)]


# --- composing --------------------------------------------------------------------------


async def _compose(ctx: Context, who: Principal, keep_audience: bool = False) -> list[Outbound]:
    audience = ctx.data.get("aud") if keep_audience and ctx.learner.state in BROADCAST else None
    _goto(ctx, State.bc_text, text=None, link=None, aud=audience)
    where = await _where(ctx, who)
    return [
        Outbound(
            texts.compose(where, _limits_note()),
            (DROP,),
        )
    ]


async def _on_text(ctx: Context, who: Principal) -> list[Outbound]:
    state, typed = ctx.learner.state, ctx.text
    if state == State.bc_text:
        return await _got_text(ctx, who, typed)
    if state == State.bc_link:
        return await _got_link(ctx, who, typed.strip())
    if state == State.bc_commune:
        return _got_commune(typed)
    if state == State.bc_unit:
        return await _got_unit(ctx, who, typed)
    if state == State.bc_when:
        return await _got_when(ctx, who, typed)
    # bc_aud, bc_preview, bc_confirm wait for a button
    return [Outbound(texts.USE_BUTTONS, (DROP,))]


async def _got_text(ctx: Context, who: Principal, text: str) -> list[Outbound]:
    if not text:
        return [Outbound(texts.NO_TEXT, (DROP,))]
    n = bc.text_length(text)
    if n > bc.MAX_TEXT:
        limit, channel = bc.MAX_TEXT, bc.CHANNEL_NAMES[bc.widest_channel()]
        return [
            Outbound(
                texts.too_long(vn_number(n), vn_number(limit), channel),
                (DROP,),
            )
        ]
    _goto(ctx, State.bc_link, text=text)
    return [
        Outbound(
            texts.got_text(vn_number(n)),
            (NO_LINK, DROP),
        )
    ]


async def _got_link(ctx: Context, who: Principal, link: str) -> list[Outbound]:
    if not _URL.match(link):
        return [
            Outbound(
                texts.bad_link(bc.MAX_LINK),
                (NO_LINK, DROP),
            )
        ]
    _goto(ctx, State.bc_link, link=link)
    return await _after_link(ctx, who)


async def _after_link(ctx: Context, who: Principal) -> list[Outbound]:
    if ctx.data.get("aud"):  # editing the text: the audience stays
        return await _preview(ctx, who)
    return await _audience_menu(ctx, who)


# --- audience ---------------------------------------------------------------------------


async def _audience_menu(ctx: Context, who: Principal, move: bool = True) -> list[Outbound]:
    if move:
        _goto(ctx, State.bc_aud, aud=None)
    where = await _where(ctx, who)
    kind = who.staff_scope.kind
    choices = [
        Choice(texts.everyone(where), act("a", "all")),
        Choice(texts.GROUP, act("am", "g")),
    ]
    if kind == "province":
        choices.append(Choice(texts.COMMUNE, act("am", "c")))
    if kind in ("province", "commune"):
        choices.append(Choice(texts.UNIT, act("am", "u")))
    choices += [Choice(texts.NOT_TRAINED, act("a", "n")), DROP]
    return [Outbound(texts.to_whom(where), tuple(choices))]


async def _submenu(ctx: Context, who: Principal, which: str) -> list[Outbound]:
    if which == "g":
        _goto(ctx, State.bc_aud)
        groups = tuple(Choice(name, act("a", "g", code)) for code, name in LEARNER_GROUPS.items())
        return [Outbound(texts.WHICH_GROUP, (*groups, BACK))]
    if which == "c":
        _goto(ctx, State.bc_commune)
        return [Outbound(texts.TYPE_COMMUNE, (BACK, DROP))]
    if which == "u":
        _goto(ctx, State.bc_unit)
        units = []
        if who.staff_scope.kind == "commune":
            units = await _units_in(ctx, who.staff_scope.commune)
        buttons = tuple(Choice(u.name, act("a", "u", u.id)) for u in units[:MAX_UNIT_BUTTONS])
        text = texts.TYPE_UNIT + (texts.OR_PICK_UNIT if buttons else texts.UNIT_EXAMPLE)
        return [Outbound(text, (*buttons, BACK, DROP))]
    return [Outbound(STALE)]


async def _units_in(ctx: Context, commune: int | None) -> list[Unit]:
    return await ctx.repo.units_in_commune(commune, MAX_UNIT_BUTTONS + 1)


def _got_commune(typed: str) -> list[Outbound]:
    found = communes.search(typed, limit=5)
    if not found:
        return [Outbound(texts.no_commune(typed[:40]), (BACK, DROP))]
    buttons = tuple(Choice(c.name, act("a", "c", c.code)) for c in found)
    return [Outbound(texts.PICK_COMMUNE, (*buttons, BACK, DROP))]


async def _got_unit(ctx: Context, who: Principal, typed: str) -> list[Outbound]:
    unit = await ctx.repo.unit_by_code(typed[:32])
    if unit is None:
        return [Outbound(texts.no_unit(typed[:32]), (BACK, DROP))]
    return await _pick(ctx, who, "unit", str(unit.id))


async def _pick(ctx: Context, who: Principal, kind: str, value: str | None) -> list[Outbound]:
    try:
        audience = await bc.resolve(ctx.repo.session, who, kind, value)
    except Forbidden:
        # A button naming a commune or unit outside the scope: refused, nothing changes.
        log.warning("broadcast audience outside scope refused actor=%s kind=%s", who.actor, kind)
        where = await _where(ctx, who)
        return [
            Outbound(texts.outside_scope(where)),
            *await _audience_menu(ctx, who, move=False),
        ]
    except bc.BadAudience:
        return [
            Outbound(texts.NO_SUCH_AUDIENCE),
            *await _audience_menu(ctx, who, move=False),
        ]
    _goto(ctx, State.bc_preview, aud=[kind, value])
    return await _preview(ctx, who, audience)


# --- preview, send, schedule ------------------------------------------------------------


async def _checked(ctx: Context, who: Principal, audience: bc.Audience | None = None):
    """(audience, counts per channel, None) when the draft can go out now, or
    (None, None, replies) saying why not (scope, nobody to send to, text too long)."""
    if audience is None:
        kind, value = ctx.data["aud"]
        try:
            audience = await bc.resolve(ctx.repo.session, who, kind, value)
        except (Forbidden, bc.BadAudience):
            return None, None, await _audience_menu(ctx, who)
    conds = bc.conditions(ctx.catalog, audience.filter, audience.not_trained)
    counts = {c: n for c, n in (await bc.count_by_channel(ctx.repo.session, conds)).items() if n}
    if not counts:
        menu_ = await _audience_menu(ctx, who)
        return None, None, [Outbound(texts.nobody(audience.label)), *menu_]
    limit, channel = bc.limit_for(counts)
    text = bc.body(ctx.data["text"], ctx.data.get("link"))
    n = bc.text_length(text)
    if n > limit:
        users, channel = counts[channel], bc.CHANNEL_NAMES[channel]
        _goto(ctx, State.bc_text, text=None, link=None)
        return (
            None,
            None,
            [
                Outbound(
                    texts.too_long_for(vn_number(n), vn_number(limit), channel, vn_number(users)),
                    (DROP,),
                )
            ],
        )
    return audience, counts, None


async def _preview(ctx: Context, who: Principal, audience=None) -> list[Outbound]:
    audience, counts, problem = await _checked(ctx, who, audience)
    if problem:
        return problem
    _goto(ctx, State.bc_preview)
    total = sum(counts.values())
    per_channel = ", ".join(
        f"{bc.CHANNEL_NAMES[c]} {vn_number(n)}" for c, n in sorted(counts.items())
    )
    return [
        Outbound(texts.PREVIEW_HEAD),
        Outbound(bc.body(ctx.data["text"], ctx.data.get("link"))),
        Outbound(
            texts.recipients(audience.label, vn_number(total), per_channel),
            (
                Choice(texts.SEND_NOW, act("go")),
                Choice(texts.SCHEDULE, act("sch")),
                Choice(texts.EDIT, act("edit")),
                Choice(texts.CHANGE_AUDIENCE, act("am")),
                DROP,
            ),
        ),
    ]


async def _store(ctx: Context, who: Principal, scheduled_at: datetime | None = None):
    """Check the audience and the text once more (both may have changed since the
    preview), then store the broadcast: (row, audience, None), or (None, None, problem)."""
    audience, _counts, problem = await _checked(ctx, who)
    if problem:
        return None, None, problem
    row = await bc.create(
        ctx.repo.session,
        ctx.catalog,
        who,
        audience,
        ctx.data["text"],
        ctx.data.get("link"),
        ctx.now,
        scheduled_at=scheduled_at,
    )
    return row, audience, None


async def _send_now(ctx: Context, who: Principal) -> list[Outbound]:
    if ctx.learner.state != State.bc_preview:
        return [Outbound(STALE)]
    row, audience, problem = await _store(ctx, who)
    if problem:
        return problem
    return _leave(
        ctx,
        texts.sending(row.id, vn_number(row.recipients), audience.label),
        (Choice(shared.SEE_PROGRESS, act("ls")), TO_MENU),
    )


def _ask_when(ctx: Context) -> list[Outbound]:
    _goto(ctx, State.bc_when, when=None)
    return [
        Outbound(
            texts.TYPE_WHEN,
            (Choice(shared.BACK, act("pv")), DROP),
        )
    ]


async def _got_when(ctx: Context, who: Principal, typed: str) -> list[Outbound]:
    when, problem = bc.parse_when(typed, ctx.now, ctx.tz)
    again = (Choice(shared.BACK, act("pv")), DROP)
    if problem == "format":
        return [Outbound(texts.bad_when(typed[:40]), again)]
    if problem == "past":
        return [Outbound(texts.past(ctx.local(ctx.now)), again)]
    if problem == "far":
        days = bc.MAX_AHEAD.days
        return [Outbound(texts.too_far(days), again)]
    assert when is not None  # parse_when gives a time when it finds no problem
    audience, counts, trouble = await _checked(ctx, who)
    if trouble:
        return trouble
    _goto(ctx, State.bc_confirm, when=when.isoformat())
    return [
        Outbound(
            texts.confirm_when(
                bc.when_text(when, ctx.tz), audience.label, vn_number(sum(counts.values()))
            ),
            (
                Choice(texts.CONFIRM_SCHEDULE, act("ok")),
                Choice(texts.CHANGE_TIME, act("sch")),
                DROP,
            ),
        )
    ]


async def _confirm_schedule(ctx: Context, who: Principal) -> list[Outbound]:
    if ctx.learner.state != State.bc_confirm or not ctx.data.get("when"):
        return [Outbound(STALE)]
    when = datetime.fromisoformat(ctx.data["when"])
    if when <= ctx.now:
        return [Outbound(texts.TIME_PASSED), *_ask_when(ctx)]
    row, audience, problem = await _store(ctx, who, scheduled_at=when)
    if problem:
        return problem
    return _leave(
        ctx,
        texts.scheduled(row.id, bc.when_text(when, ctx.tz), audience.label),
        (SEE_MINE, TO_MENU),
    )


# --- cancel -----------------------------------------------------------------------------


async def _ask_cancel(ctx: Context, who: Principal, bc_id: int) -> list[Outbound]:
    row = await ctx.repo.broadcast(bc_id)
    if row is None or not _may_cancel(who, row):
        return [Outbound(texts.NOT_FOUND)]
    row_id = stored_id(row)
    if row.status not in bc.ACTIVE:
        return [Outbound(texts.finished(row_id)), *await _list(ctx, who)]
    return [
        Outbound(
            texts.ask_cancel(row_id, row.audience.get("label", "")),
            (Choice(texts.cancel(row_id), act("xy", row_id)), Choice(texts.NO, act("ls"))),
        )
    ]


def _may_cancel(who: Principal, row: Broadcast) -> bool:
    return may_manage_broadcast(who, row.author_channel, row.author_user_id)


async def _cancel(ctx: Context, who: Principal, bc_id: int) -> list[Outbound]:
    try:
        row = await bc.cancel(ctx.repo.session, who, bc_id, ctx.now)
    except (bc.NotFound, Forbidden):
        return [Outbound(texts.NOT_FOUND)]
    except bc.NotActive:
        return [Outbound(texts.finished(bc_id)), *await _list(ctx, who)]
    return [
        Outbound(
            texts.cancelled(row.id, vn_number(row.delivered or 0), vn_number(row.recipients)),
            (SEE_MINE, TO_MENU),
        )
    ]


# --- buttons ----------------------------------------------------------------------------


async def _on_action(ctx: Context, who: Principal, args: tuple[str, ...]) -> list[Outbound]:
    step = args[0] if args else ""
    if step in DRAFT_NEEDED and not _has_draft(ctx):
        return [Outbound(STALE)]
    match args:
        case ("new",):
            return await _compose(ctx, who)
        case ("ls",):
            return await _list(ctx, who)
        case ("q",):
            if ctx.learner.state not in BROADCAST:
                return [Outbound(STALE)]
            return _leave(ctx, texts.DROPPED)
        case ("skip",) if ctx.learner.state == State.bc_link:
            _goto(ctx, State.bc_link, link=None)
            return await _after_link(ctx, who)
        case ("am",):
            return await _audience_menu(ctx, who)
        case ("am", which):
            return await _submenu(ctx, who, which)
        case ("a", "all"):
            return await _pick(ctx, who, "all", None)
        case ("a", "n"):
            return await _pick(ctx, who, "not_trained", None)
        case ("a", "g", code):
            return await _pick(ctx, who, "group", code)
        case ("a", "c", code):
            return await _pick(ctx, who, "commune", code)
        case ("a", "u", unit_id):
            return await _pick(ctx, who, "unit", unit_id)
        case ("pv",) if ctx.data.get("aud"):
            return await _preview(ctx, who)
        case ("edit",):
            return await _compose(ctx, who, keep_audience=True)
        case ("go",):
            return await _send_now(ctx, who)
        case ("sch",) if ctx.learner.state in (State.bc_preview, State.bc_when, State.bc_confirm):
            return _ask_when(ctx)
        case ("ok",):
            return await _confirm_schedule(ctx, who)
        case ("x", bc_id) if bc_id.isdigit():
            return await _ask_cancel(ctx, who, int(bc_id))
        case ("xy", bc_id) if bc_id.isdigit():
            return await _cancel(ctx, who, int(bc_id))
    return [Outbound(STALE)]
