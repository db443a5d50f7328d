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
from bot.flows.onboarding import STATES as ONBOARDING_STATES
from bot.messages import Choice, Outbound
from bot.outreach import broadcasts as bc
from bot.textutil import vn_number
from lessons.limits import LEARNER_GROUPS
from storage.models import Broadcast, Unit

log = logging.getLogger("hocai.flows.broadcast")

STATES = (
    "bc_text",  # typing the announcement
    "bc_link",  # typing an optional link
    "bc_aud",  # choosing the audience
    "bc_commune",  # typing a commune's name (province scope)
    "bc_unit",  # typing a unit's code
    "bc_preview",  # the preview: send now, schedule, edit
    "bc_when",  # typing the date and time
    "bc_confirm",  # confirming the scheduled time
)
TEXT_STATES = ("bc_text",)  # free text here keeps its line breaks and may be long
DRAFT_NEEDED = {"skip", "am", "a", "pv", "edit", "go", "sch", "ok"}
MAX_UNIT_BUTTONS = 10
RECENT = 5
_URL = re.compile(r"^https?://[^\s<>\"]{1,490}$", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n{3,}")


def act(*args: object) -> str:
    return A.make(A.BROADCAST, *args)


DROP = Choice("Hủy soạn", act("q"))
BACK = Choice("Quay lại", act("am"))
STALE = "Nút này đã cũ nên mình bỏ qua. Gõ /thongbao để soạn thông báo mới."


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
    return ctx.learner.state in STATES or (action is not None and action.verb == A.BROADCAST)


async def route(ctx: Context, command: str | None) -> list[Outbound] | None:
    """The flow's reply, or None: not for this flow (not staff, another command or
    another flow's button), and the engine routes the input as usual."""
    settings = get_settings()
    who = await principal_for(ctx.repo.session, settings, ctx.inbound.channel, ctx.inbound.user_id)
    in_flow = ctx.learner.state in STATES
    action = ctx.action
    if not allowed(who, Perm.broadcast):
        if in_flow:  # the role went away mid-draft: say so, not answer the draft as a question
            return _leave(ctx, "Tài khoản này không còn quyền gửi thông báo; bản soạn đã bỏ.")
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


def _goto(ctx: Context, state: str, **changes) -> None:
    """Move within the flow, keeping the draft; entering, remember where they were."""
    if ctx.learner.state in STATES:
        data = {**ctx.data, **changes}
    else:
        data = {"prev": [ctx.learner.state, ctx.learner.state_data or {}], **changes}
    ctx.learner.state, ctx.learner.state_data = state, data


def _restore(ctx: Context) -> None:
    state, data = (ctx.data.get("prev") or ["menu", {}])[:2]
    if state in STATES:
        state, data = "menu", {}
    ctx.learner.state, ctx.learner.state_data = state, data


def _leave(ctx: Context, text: str, choices: tuple[Choice, ...] = ()) -> list[Outbound]:
    _restore(ctx)
    if not choices and ctx.learner.state not in ONBOARDING_STATES:
        return [menu(text)]
    return [Outbound(text, choices)]


def _has_draft(ctx: Context) -> bool:
    return ctx.learner.state in STATES and bool(ctx.data.get("text"))


# --- wording ----------------------------------------------------------------------------


async def _where(ctx: Context, who: Principal) -> str:
    """The author's scope in words: "toàn tỉnh", "Phường Đức Xuân", "đơn vị …"."""
    scope = who.scope
    if scope.kind == "commune":
        commune = communes.by_code().get(scope.commune)
        return commune.name if commune else f"xã/phường {scope.commune}"
    if scope.kind == "unit":
        unit = await ctx.repo.unit(scope.unit_id)
        return f"đơn vị {unit.name}" if unit else "đơn vị của bạn"
    return "toàn tỉnh"


def _limits_note() -> str:
    tg, zl = bc.CHANNEL_LIMITS["telegram"], bc.CHANNEL_LIMITS["zalo"]
    return f"tối đa {vn_number(tg)} ký tự; người học dùng Zalo chỉ nhận {vn_number(zl)} ký tự"


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
        return [
            Outbound("Bạn chưa gửi thông báo nào.", (Choice("Soạn thông báo", act("new")), TO_MENU))
        ]
    lines = [bc.status_line(b, counts, ctx.tz) for b, counts in rows]
    cancellable = [b for b, _ in rows if b.status in bc.ACTIVE][:3]
    choices = (
        Choice("Soạn thông báo mới", act("new")),
        *(Choice(f"Hủy #{b.id}", act("x", b.id)) for b in cancellable),
        Choice("Làm mới", act("ls")),
        TO_MENU,
    )
    return [Outbound("📢 Thông báo gần đây của bạn:\n\n" + "\n\n".join(lines), choices)]


# --- composing --------------------------------------------------------------------------


async def _compose(ctx: Context, who: Principal, keep_audience: bool = False) -> list[Outbound]:
    audience = ctx.data.get("aud") if keep_audience and ctx.learner.state in STATES else None
    _goto(ctx, "bc_text", text=None, link=None, aud=audience)
    where = await _where(ctx, who)
    return [
        Outbound(
            f"📢 Soạn thông báo cho người học ({where}).\n"
            f"Bạn gõ nội dung thông báo ({_limits_note()}). Xuống dòng thoải mái.",
            (DROP,),
        )
    ]


async def _on_text(ctx: Context, who: Principal) -> list[Outbound]:
    state, typed = ctx.learner.state, ctx.text
    if state == "bc_text":
        return await _got_text(ctx, who, typed)
    if state == "bc_link":
        return await _got_link(ctx, who, typed.strip())
    if state == "bc_commune":
        return _got_commune(typed)
    if state == "bc_unit":
        return await _got_unit(ctx, who, typed)
    if state == "bc_when":
        return await _got_when(ctx, who, typed)
    # bc_aud, bc_preview, bc_confirm wait for a button
    return [Outbound("Bạn chọn một trong các lựa chọn ở tin nhắn trước nhé.", (DROP,))]


async def _got_text(ctx: Context, who: Principal, text: str) -> list[Outbound]:
    if not text:
        return [Outbound("Mình chưa thấy nội dung. Bạn gõ nội dung thông báo nhé.", (DROP,))]
    n = bc.text_length(text)
    if n > bc.MAX_TEXT:
        limit, channel = bc.MAX_TEXT, bc.CHANNEL_NAMES[bc.widest_channel()]
        return [
            Outbound(
                f"Thông báo dài {vn_number(n)} ký tự, quá giới hạn {vn_number(limit)} ký tự "
                f"của {channel}. Bạn viết ngắn lại rồi gửi lại nhé.",
                (DROP,),
            )
        ]
    _goto(ctx, "bc_link", text=text)
    return [
        Outbound(
            f"Đã nhận nội dung ({vn_number(n)} ký tự). Muốn kèm đường dẫn (link), bạn gõ "
            "đường dẫn, bắt đầu bằng https://. Không cần thì chọn «Không kèm đường dẫn».",
            (Choice("Không kèm đường dẫn", act("skip")), DROP),
        )
    ]


async def _got_link(ctx: Context, who: Principal, link: str) -> list[Outbound]:
    if not _URL.match(link):
        return [
            Outbound(
                "Đường dẫn cần bắt đầu bằng http:// hoặc https:// và không có dấu cách "
                f"(tối đa {bc.MAX_LINK} ký tự). Bạn gõ lại, hoặc chọn «Không kèm đường dẫn».",
                (Choice("Không kèm đường dẫn", act("skip")), DROP),
            )
        ]
    _goto(ctx, "bc_link", link=link)
    return await _after_link(ctx, who)


async def _after_link(ctx: Context, who: Principal) -> list[Outbound]:
    if ctx.data.get("aud"):  # editing the text: the audience stays
        return await _preview(ctx, who)
    return await _audience_menu(ctx, who)


# --- audience ---------------------------------------------------------------------------


async def _audience_menu(ctx: Context, who: Principal, move: bool = True) -> list[Outbound]:
    if move:
        _goto(ctx, "bc_aud", aud=None)
    where = await _where(ctx, who)
    kind = who.scope.kind
    choices = [
        Choice(f"Tất cả người học ({where})", act("a", "all")),
        Choice("Một nhóm người học", act("am", "g")),
    ]
    if kind == "province":
        choices.append(Choice("Một xã/phường", act("am", "c")))
    if kind in ("province", "commune"):
        choices.append(Choice("Một đơn vị", act("am", "u")))
    choices += [Choice("Người chưa học xong phần cơ bản", act("a", "n")), DROP]
    return [Outbound(f"Gửi cho ai? Bạn gửi được cho người học {where}.", tuple(choices))]


async def _submenu(ctx: Context, who: Principal, which: str) -> list[Outbound]:
    if which == "g":
        _goto(ctx, "bc_aud")
        groups = tuple(Choice(name, act("a", "g", code)) for code, name in LEARNER_GROUPS.items())
        return [Outbound("Gửi cho nhóm nào?", (*groups, BACK))]
    if which == "c":
        _goto(ctx, "bc_commune")
        return [Outbound("Bạn gõ tên xã/phường, ví dụ: Tân Cương.", (BACK, DROP))]
    if which == "u":
        _goto(ctx, "bc_unit")
        units = []
        if who.scope.kind == "commune":
            units = await _units_in(ctx, who.scope.commune)
        buttons = tuple(Choice(u.name, act("a", "u", u.id)) for u in units[:MAX_UNIT_BUTTONS])
        text = "Bạn gõ mã đơn vị (mã tham gia in trên mã QR)"
        text += ", hoặc chọn một đơn vị bên dưới." if buttons else ", ví dụ UBND-DX."
        return [Outbound(text, (*buttons, BACK, DROP))]
    return [Outbound(STALE)]


async def _units_in(ctx: Context, commune: int | None) -> list[Unit]:
    return await ctx.repo.units_in_commune(commune, MAX_UNIT_BUTTONS + 1)


def _got_commune(typed: str) -> list[Outbound]:
    found = communes.search(typed, limit=5)
    if not found:
        return [
            Outbound(
                f"Mình không tìm thấy xã/phường «{typed[:40]}». Bạn gõ lại tên nhé.",
                (BACK, DROP),
            )
        ]
    buttons = tuple(Choice(c.name, act("a", "c", c.code)) for c in found)
    return [Outbound("Bạn chọn xã/phường:", (*buttons, BACK, DROP))]


async def _got_unit(ctx: Context, who: Principal, typed: str) -> list[Outbound]:
    unit = await ctx.repo.unit_by_code(typed[:32])
    if unit is None:
        return [Outbound(f"Không có đơn vị với mã «{typed[:32]}». Bạn gõ lại nhé.", (BACK, DROP))]
    return await _pick(ctx, who, "unit", str(unit.id))


async def _pick(ctx: Context, who: Principal, kind: str, value: str | None) -> list[Outbound]:
    try:
        audience = await bc.resolve(ctx.repo.session, who, kind, value)
    except Forbidden:
        # A button naming a commune or unit outside the scope: refused, nothing changes.
        log.warning("broadcast audience outside scope refused actor=%s kind=%s", who.actor, kind)
        where = await _where(ctx, who)
        return [
            Outbound(
                f"Bạn chỉ gửi được thông báo cho người học {where}. "
                "Mình không gửi và không lưu gì cả."
            ),
            *await _audience_menu(ctx, who, move=False),
        ]
    except bc.BadAudience:
        return [
            Outbound("Không tìm thấy nhóm người nhận này."),
            *await _audience_menu(ctx, who, move=False),
        ]
    _goto(ctx, "bc_preview", aud=[kind, value])
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
        return None, None, [Outbound(f"Không có người học nào ({audience.label})."), *menu_]
    limit, channel = bc.limit_for(counts)
    text = bc.body(ctx.data["text"], ctx.data.get("link"))
    n = bc.text_length(text)
    if n > limit:
        users, channel = counts[channel], bc.CHANNEL_NAMES[channel]
        _goto(ctx, "bc_text", text=None, link=None)
        return (
            None,
            None,
            [
                Outbound(
                    f"Thông báo dài {vn_number(n)} ký tự (kể cả đường dẫn), quá giới hạn "
                    f"{vn_number(limit)} ký tự của {channel} ({vn_number(users)} người nhận "
                    f"dùng {channel}). Bạn gõ lại nội dung ngắn hơn nhé.",
                    (DROP,),
                )
            ],
        )
    return audience, counts, None


async def _preview(ctx: Context, who: Principal, audience=None) -> list[Outbound]:
    audience, counts, problem = await _checked(ctx, who, audience)
    if problem:
        return problem
    _goto(ctx, "bc_preview")
    total = sum(counts.values())
    per_channel = ", ".join(
        f"{bc.CHANNEL_NAMES[c]} {vn_number(n)}" for c, n in sorted(counts.items())
    )
    return [
        Outbound("Xem trước thông báo (người học sẽ nhận đúng như sau):"),
        Outbound(bc.body(ctx.data["text"], ctx.data.get("link"))),
        Outbound(
            f"Người nhận: {audience.label}.\nSố người nhận: {vn_number(total)} ({per_channel}).",
            (
                Choice("✅ Gửi ngay", act("go")),
                Choice("🗓 Hẹn giờ gửi", act("sch")),
                Choice("Sửa nội dung", act("edit")),
                Choice("Đổi người nhận", act("am")),
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
    if ctx.learner.state != "bc_preview":
        return [Outbound(STALE)]
    row, audience, problem = await _store(ctx, who)
    if problem:
        return problem
    return _leave(
        ctx,
        f"✅ Thông báo #{row.id} đang được gửi cho {vn_number(row.recipients)} người "
        f"({audience.label}). Gửi xong mình sẽ báo kết quả; gõ /thongbao để xem tiến độ.",
        (Choice("Xem tiến độ", act("ls")), TO_MENU),
    )


def _ask_when(ctx: Context) -> list[Outbound]:
    _goto(ctx, "bc_when", when=None)
    return [
        Outbound(
            "Bạn gõ ngày giờ gửi (giờ Việt Nam), ví dụ: 27/11 19:30 hoặc 27/11/2026 19:30.",
            (Choice("Quay lại", act("pv")), DROP),
        )
    ]


async def _got_when(ctx: Context, who: Principal, typed: str) -> list[Outbound]:
    when, problem = bc.parse_when(typed, ctx.now, ctx.tz)
    again = (Choice("Quay lại", act("pv")), DROP)
    if problem == "format":
        return [Outbound(f"Mình chưa hiểu «{typed[:40]}». Bạn gõ như 27/11 19:30 nhé.", again)]
    if problem == "past":
        now = ctx.local(ctx.now).strftime("%H:%M ngày %d/%m/%Y")
        return [
            Outbound(f"Thời điểm này đã qua (bây giờ là {now}). Bạn gõ giờ sau bây giờ nhé.", again)
        ]
    if problem == "far":
        days = bc.MAX_AHEAD.days
        return [Outbound(f"Chỉ hẹn trước được tối đa {days} ngày. Bạn gõ lại nhé.", again)]
    audience, counts, trouble = await _checked(ctx, who)
    if trouble:
        return trouble
    _goto(ctx, "bc_confirm", when=when.isoformat())
    return [
        Outbound(
            f"🗓 Gửi lúc {bc.when_text(when, ctx.tz)} cho {audience.label} (hiện có "
            f"{vn_number(sum(counts.values()))} người; con số được tính lại lúc gửi). "
            "Bạn xác nhận nhé?",
            (
                Choice("✅ Xác nhận hẹn giờ", act("ok")),
                Choice("Đổi giờ", act("sch")),
                DROP,
            ),
        )
    ]


async def _confirm_schedule(ctx: Context, who: Principal) -> list[Outbound]:
    if ctx.learner.state != "bc_confirm" or not ctx.data.get("when"):
        return [Outbound(STALE)]
    when = datetime.fromisoformat(ctx.data["when"])
    if when <= ctx.now:
        return [Outbound("Giờ hẹn vừa qua mất rồi."), *_ask_when(ctx)]
    row, audience, problem = await _store(ctx, who, scheduled_at=when)
    if problem:
        return problem
    return _leave(
        ctx,
        f"🗓 Đã hẹn: thông báo #{row.id} sẽ gửi lúc {bc.when_text(when, ctx.tz)} cho "
        f"{audience.label}. Muốn hủy, bạn gõ /thongbao.",
        (Choice("Xem thông báo của tôi", act("ls")), TO_MENU),
    )


# --- cancel -----------------------------------------------------------------------------


async def _ask_cancel(ctx: Context, who: Principal, bc_id: int) -> list[Outbound]:
    row = await ctx.repo.broadcast(bc_id)
    if row is None or not _may_cancel(who, row):
        return [Outbound("Không tìm thấy thông báo này trong các thông báo của bạn.")]
    if row.status not in bc.ACTIVE:
        return [Outbound(f"Thông báo #{row.id} đã xong hoặc đã hủy rồi."), *await _list(ctx, who)]
    return [
        Outbound(
            f"Hủy thông báo #{row.id} ({row.audience.get('label', '')})? "
            "Những tin chưa gửi sẽ không được gửi nữa.",
            (Choice(f"Hủy thông báo #{row.id}", act("xy", row.id)), Choice("Không", act("ls"))),
        )
    ]


def _may_cancel(who: Principal, row: Broadcast) -> bool:
    return may_manage_broadcast(who, row.author_channel, row.author_user_id)


async def _cancel(ctx: Context, who: Principal, bc_id: int) -> list[Outbound]:
    try:
        row = await bc.cancel(ctx.repo.session, who, bc_id, ctx.now)
    except (bc.NotFound, Forbidden):
        return [Outbound("Không tìm thấy thông báo này trong các thông báo của bạn.")]
    except bc.NotActive:
        return [Outbound(f"Thông báo #{bc_id} đã xong hoặc đã hủy rồi."), *await _list(ctx, who)]
    return [
        Outbound(
            f"Đã hủy thông báo #{row.id}. Đã gửi trước khi hủy: "
            f"{vn_number(row.delivered or 0)}/{vn_number(row.recipients)} người.",
            (Choice("Xem thông báo của tôi", act("ls")), TO_MENU),
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
            if ctx.learner.state not in STATES:
                return [Outbound(STALE)]
            return _leave(ctx, "Đã bỏ bản soạn, không gửi gì.")
        case ("skip",) if ctx.learner.state == "bc_link":
            _goto(ctx, "bc_link", link=None)
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
        case ("sch",) if ctx.learner.state in ("bc_preview", "bc_when", "bc_confirm"):
            return _ask_when(ctx)
        case ("ok",):
            return await _confirm_schedule(ctx, who)
        case ("x", bc_id) if bc_id.isdigit():
            return await _ask_cancel(ctx, who, int(bc_id))
        case ("xy", bc_id) if bc_id.isdigit():
            return await _cancel(ctx, who, int(bc_id))
    return [Outbound(STALE)]
