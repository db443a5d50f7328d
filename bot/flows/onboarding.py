"""First contact: who we are, consent, learner group, commune, optional unit."""

from bot import actions as A
from bot import communes
from bot.flows.common import menu
from bot.flows.context import Context
from bot.messages import Choice, Outbound
from lessons.limits import LEARNER_GROUPS
from storage.models import LearnerStatus

STATES = ("new", "consent", "group", "commune", "unit")

GREETING = (
    "Xin chào! Mình là trợ lý học AI tự động của chương trình «Bình dân học AI» "
    "tỉnh Thái Nguyên (AI xứ Trà). Mình là máy, không phải người. "
    "Mình giúp bạn học AI qua các bài ngắn, mỗi bài khoảng 5 phút."
)
CONSENT = (
    "Để lưu tiến độ học, mình cần lưu tên hiển thị, nhóm, xã/phường và kết quả học của bạn. "
    "Dữ liệu chỉ dùng cho việc học và báo cáo của chương trình, không chia sẻ cho ai khác. "
    "Bạn có thể xem hoặc xóa dữ liệu bất cứ lúc nào bằng lệnh /dulieu.\n\n"
    "Bạn có đồng ý không?"
)
CONSENT_CHOICES = (Choice("Đồng ý", A.CONSENT_YES), Choice("Không đồng ý", A.CONSENT_NO))
DECLINED = "Không sao. Mình không lưu gì về bạn. Khi nào muốn học, bạn gõ /start nhé."
ASK_GROUP = "Cảm ơn bạn! Bạn thuộc nhóm nào? Mình sẽ gợi ý các bài phù hợp."
ASK_COMMUNE = (
    "Bạn sống hoặc làm việc ở xã, phường nào của Thái Nguyên? "
    "Gõ tên, ví dụ: Tân Cương (không cần dấu)."
)
ASK_UNIT = "Nếu cơ quan, đơn vị của bạn có mã tham gia, bạn gõ mã đó. Không có thì chọn «Bỏ qua»."
UNIT_CHOICES = (Choice("Bỏ qua", A.UNIT_SKIP),)


def _group_choices() -> tuple[Choice, ...]:
    return tuple(Choice(name, A.make(A.GROUP, code)) for code, name in LEARNER_GROUPS.items())


def current_step(ctx: Context) -> list[Outbound]:
    """Ask again for whatever the learner is at, changing nothing."""
    state = ctx.learner.state
    if state in ("new", "consent"):
        return [Outbound(CONSENT, CONSENT_CHOICES)]
    if state == "group":
        return [Outbound(ASK_GROUP, _group_choices())]
    if state == "commune":
        return [Outbound(ASK_COMMUNE)]
    return [Outbound(ASK_UNIT, UNIT_CHOICES)]


def start(ctx: Context, join_code: str | None) -> list[Outbound]:
    ctx.goto("consent", join=join_code) if join_code else ctx.goto("consent")
    return [Outbound(GREETING), Outbound(CONSENT, CONSENT_CHOICES)]


async def handle(ctx: Context) -> list[Outbound]:
    state, act = ctx.learner.state, ctx.action
    if state == "new":
        return start(ctx, None)
    if state == "consent":
        if act and act.verb == "c" and act.args == ("y",):
            ctx.learner.consent_at = ctx.now
            ctx.learner.display_name = (ctx.inbound.display_name or "")[:128] or None
            ctx.goto("group", **ctx.data)
            await ctx.repo.audit(ctx.actor, "consent_given", channel=ctx.learner.channel)
            return [Outbound(ASK_GROUP, _group_choices())]
        if act and act.verb == "c" and act.args == ("n",):
            await ctx.repo.delete_learner(ctx.learner)
            return [Outbound(DECLINED)]
        return [Outbound("Bạn chọn «Đồng ý» hoặc «Không đồng ý» giúp mình nhé.", CONSENT_CHOICES)]
    if state == "group":
        if act and act.verb == A.GROUP and act.args and act.args[0] in LEARNER_GROUPS:
            ctx.learner.group_code = act.args[0]
            ctx.goto("commune", **ctx.data)
            return [Outbound(ASK_COMMUNE)]
        return [Outbound("Bạn chọn một nhóm trong danh sách nhé.", _group_choices())]
    if state == "commune":
        return await _commune(ctx)
    return await _unit(ctx)


async def _commune(ctx: Context) -> list[Outbound]:
    act = ctx.action
    if act and act.verb == A.COMMUNE and act.args and act.args[0].isdigit():
        commune = communes.by_code().get(int(act.args[0]))
        if commune is None:
            return [Outbound(ASK_COMMUNE)]
        ctx.learner.commune_code = commune.code
        join = ctx.data.get("join")
        unit = await ctx.repo.unit_by_code(join) if join else None
        if unit:
            ctx.learner.unit_id = unit.id
            return _finish(ctx, [Outbound(f"✅ Bạn ở {commune.name}, đơn vị: {unit.name}.")])
        ctx.goto("unit")
        return [Outbound(f"✅ Bạn ở {commune.name}.\n\n{ASK_UNIT}", UNIT_CHOICES)]
    if act or not ctx.text:
        return [Outbound(ASK_COMMUNE)]
    found = communes.search(ctx.text)
    if not found:
        return [
            Outbound(
                f"Mình chưa tìm thấy xã, phường nào giống «{ctx.text[:40]}» ở Thái Nguyên. "
                "Bạn gõ lại thử nhé, ví dụ: Đại Từ."
            )
        ]
    return [
        Outbound(
            "Bạn ở nơi nào dưới đây? Chọn một, hoặc gõ lại tên.",
            tuple(Choice(c.name, A.make(A.COMMUNE, c.code)) for c in found),
        )
    ]


async def _unit(ctx: Context) -> list[Outbound]:
    act = ctx.action
    if act and f"{act.verb}:{':'.join(act.args)}" == A.UNIT_SKIP:
        return _finish(ctx, [])
    if act or not ctx.text:
        return [Outbound(ASK_UNIT, UNIT_CHOICES)]
    code = ctx.text.strip()[:32]
    unit = await ctx.repo.unit_by_code(code)
    if unit is None:
        return [
            Outbound(
                f"Mình chưa thấy mã «{code}». Bạn kiểm tra lại mã, hoặc chọn «Bỏ qua».",
                UNIT_CHOICES,
            )
        ]
    ctx.learner.unit_id = unit.id
    return _finish(ctx, [Outbound(f"✅ Bạn đã vào đơn vị: {unit.name}.")])


def _finish(ctx: Context, out: list[Outbound]) -> list[Outbound]:
    ctx.learner.status = LearnerStatus.active
    ctx.goto("menu")
    first = ctx.catalog.track(ctx.learner.group_code)[0]
    pos = ctx.catalog.position(first.id)
    out.append(
        Outbound(
            "Xong rồi! Mỗi bài có vài thẻ ngắn để đọc, rồi vài câu hỏi để ôn. "
            f"Mình bắt đầu với bài {pos} «{first.title}» nhé?",
            (Choice("Học ngay", A.CONTINUE), Choice("Về menu", A.MENU)),
        )
    )
    return out


def welcome_back(ctx: Context) -> list[Outbound]:
    return [menu("Chào bạn quay lại! Bạn muốn làm gì?")]
