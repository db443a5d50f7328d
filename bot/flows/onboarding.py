"""First contact: who we are, consent, learner group, commune, optional unit."""

from bot import actions as A
from bot import communes
from bot.flows.common import TO_MENU, menu
from bot.flows.context import Context
from bot.flows.states import State
from bot.flows.texts import common as shared
from bot.flows.texts import onboarding as texts
from bot.messages import Choice, Outbound
from lessons.limits import LEARNER_GROUPS
from storage.models import LearnerStatus

CONSENT_CHOICES = (Choice(texts.AGREE, A.CONSENT_YES), Choice(texts.DISAGREE, A.CONSENT_NO))
UNIT_CHOICES = (Choice(texts.SKIP, A.UNIT_SKIP),)


def _group_choices() -> tuple[Choice, ...]:
    return tuple(Choice(name, A.make(A.GROUP, code)) for code, name in LEARNER_GROUPS.items())


def current_step(ctx: Context) -> list[Outbound]:
    """Ask again for whatever the learner is at, changing nothing."""
    state = ctx.learner.state
    if state in (State.new, State.consent):
        return [Outbound(texts.CONSENT, CONSENT_CHOICES)]
    if state == State.group:
        return [Outbound(texts.ASK_GROUP, _group_choices())]
    if state == State.commune:
        return [Outbound(texts.ASK_COMMUNE)]
    return [Outbound(texts.ASK_UNIT, UNIT_CHOICES)]


def start(ctx: Context, join_code: str | None) -> list[Outbound]:
    ctx.goto(State.consent, join=join_code) if join_code else ctx.goto(State.consent)
    return [Outbound(texts.GREETING), Outbound(texts.CONSENT, CONSENT_CHOICES)]


async def handle(ctx: Context) -> list[Outbound]:
    state, act = ctx.learner.state, ctx.action
    if state == State.new:
        return start(ctx, None)
    if state == State.consent:
        if act and act.verb == "c" and act.args == ("y",):
            ctx.learner.consent_at = ctx.now
            ctx.learner.display_name = (ctx.inbound.display_name or "")[:128] or None
            ctx.goto(State.group, **ctx.data)
            await ctx.repo.audit(ctx.actor, "consent_given", channel=ctx.learner.channel)
            return [Outbound(texts.ASK_GROUP, _group_choices())]
        if act and act.verb == "c" and act.args == ("n",):
            await ctx.repo.delete_learner(ctx.learner)
            return [Outbound(texts.DECLINED)]
        return [Outbound(texts.CONSENT_AGAIN, CONSENT_CHOICES)]
    if state == State.group:
        if act and act.verb == A.GROUP and act.args and act.args[0] in LEARNER_GROUPS:
            ctx.learner.group_code = act.args[0]
            ctx.goto(State.commune, **ctx.data)
            return [Outbound(texts.ASK_COMMUNE)]
        return [Outbound(texts.GROUP_AGAIN, _group_choices())]
    if state == State.commune:
        return await _commune(ctx)
    return await _unit(ctx)


async def _commune(ctx: Context) -> list[Outbound]:
    act = ctx.action
    if act and act.verb == A.COMMUNE and act.args and act.args[0].isdigit():
        commune = communes.by_code().get(int(act.args[0]))
        if commune is None:
            return [Outbound(texts.ASK_COMMUNE)]
        ctx.learner.commune_code = commune.code
        join = ctx.data.get("join")
        unit = await ctx.repo.unit_by_code(join) if join else None
        if unit:
            ctx.learner.unit_id = unit.id
            return _finish(ctx, [Outbound(texts.commune_and_unit(commune.name, unit.name))])
        ctx.goto(State.unit)
        return [Outbound(texts.commune_then_unit(commune.name), UNIT_CHOICES)]
    if act or not ctx.text:
        return [Outbound(texts.ASK_COMMUNE)]
    found = communes.search(ctx.text)
    if not found:
        return [Outbound(texts.no_commune(ctx.text[:40]))]
    return [
        Outbound(
            texts.WHICH_COMMUNE,
            tuple(Choice(c.name, A.make(A.COMMUNE, c.code)) for c in found),
        )
    ]


async def _unit(ctx: Context) -> list[Outbound]:
    act = ctx.action
    if act and f"{act.verb}:{':'.join(act.args)}" == A.UNIT_SKIP:
        return _finish(ctx, [])
    if act or not ctx.text:
        return [Outbound(texts.ASK_UNIT, UNIT_CHOICES)]
    code = ctx.text.strip()[:32]
    unit = await ctx.repo.unit_by_code(code)
    if unit is None:
        return [Outbound(texts.no_unit(code), UNIT_CHOICES)]
    ctx.learner.unit_id = unit.id
    return _finish(ctx, [Outbound(shared.unit_joined(unit.name))])


def _finish(ctx: Context, out: list[Outbound]) -> list[Outbound]:
    ctx.learner.status = LearnerStatus.active
    ctx.goto(State.menu)
    first = ctx.catalog.track(ctx.learner.group_code)[0]
    pos = ctx.catalog.position(first.id)
    out.append(
        Outbound(
            texts.ready(pos, first.title),
            (Choice(texts.START_NOW, A.CONTINUE), TO_MENU),
        )
    )
    return out


def welcome_back(ctx: Context) -> list[Outbound]:
    return [menu(texts.WELCOME_BACK)]
