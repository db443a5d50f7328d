"""The certificate in the chat: after passing the final assessment, confirm the name to
print (prefilled from the chat's display name when it looks like a name, typed
otherwise), choose how the public verify page shows it (initialled by default), then get
the picture and the PDF. `/chungnhan` sends it again, or resumes these steps.

The files are rendered after the commit (bot/certificates/service.py finish): the flow
only returns a placeholder carrying the certificate's id.
"""

from bot import actions as A
from bot import policy
from bot.certificates import service
from bot.flows.common import TO_MENU
from bot.flows.context import Context
from bot.flows.states import CERTIFICATE, State
from bot.flows.texts import certificate as texts
from bot.flows.texts import common as shared
from bot.messages import Choice, Outbound
from storage.models import Assessment

ACCEPT = A.make(A.CERTIFICATE, "ok")
LATER = Choice(shared.LATER, A.MENU)


def _public_choice(full: bool) -> str:
    return A.make(A.CERTIFICATE, "pub", int(full))


def ask_name(ctx: Context, exam: Assessment, intro: str = "") -> Outbound:
    """The first step: confirm the name we know, or type one."""
    suggestion = service.clean_name(ctx.learner.display_name or "")
    ctx.goto(State.cert_name, aid=exam.id, name=suggestion)
    head = f"{intro}\n\n" if intro else ""
    if suggestion:
        return Outbound(
            texts.confirm_name(head, suggestion),
            (Choice(texts.ACCEPT, ACCEPT), LATER),
        )
    return Outbound(
        texts.type_name(head),
        (LATER,),
    )


def _ask_public(ctx: Context, name: str) -> list[Outbound]:
    ctx.goto(State.cert_public, aid=ctx.data.get("aid"), name=name)
    short = service.initialled(name)
    choices = [Choice(texts.initialled(short), _public_choice(False))]
    if short != name:
        choices.append(Choice(texts.in_full(name), _public_choice(True)))
    return [
        Outbound(
            texts.ask_public(name),
            tuple(choices),
        )
    ]


async def on_text(ctx: Context) -> list[Outbound]:
    """A typed name in either step."""
    name = service.clean_name(ctx.text)
    if name is None:
        return [
            Outbound(
                texts.UNREADABLE,
                tuple(Choice(label, action) for label, action in ctx.learner.choices or [])
                or (LATER,),
                kind="notice",
            )
        ]
    return _ask_public(ctx, name)


async def act(ctx: Context) -> list[Outbound]:
    args = ctx.args
    if not args:
        return await resend(ctx)
    if args == ("ok",) and ctx.learner.state == State.cert_name and ctx.data.get("name"):
        return _ask_public(ctx, ctx.data["name"])
    choosing = ctx.learner.state == State.cert_public and ctx.data.get("name")
    if choosing and len(args) == 2 and args[0] == "pub" and args[1] in ("0", "1"):
        return await _issue(ctx, full=args[1] == "1")
    return [Outbound(shared.STALE_BUTTON), *await resend(ctx)]


async def _passed(ctx: Context) -> Assessment | None:
    aid = ctx.data.get("aid")
    exam = await ctx.repo.assessment(aid) if aid else None
    if exam is None or exam.learner_id != ctx.learner_id or not exam.passed:
        exam = await ctx.repo.best_passed_assessment(ctx.learner_id)
    return exam


async def _issue(ctx: Context, full: bool) -> list[Outbound]:
    session = ctx.repo.session
    existing = await service.current(session, ctx.learner_id)
    if existing is not None:  # e.g. a second device pressed the same button
        ctx.goto(State.menu)
        return [_delivery(existing, texts.HERE_IT_IS)]
    exam = await _passed(ctx)
    if exam is None:
        ctx.goto(State.menu)
        return await resend(ctx)
    cert = await service.issue(
        session,
        learner_id=ctx.learner_id,
        name=ctx.data["name"],
        full_name_public=full,
        track=exam.track,
        score=exam.score or 0,
        total=exam.total,
        passed_at=exam.finished_at or ctx.now,
        now=ctx.now,
    )
    await ctx.repo.audit(ctx.actor, "certificate_issued", number=cert.number)
    ctx.goto(State.menu)
    assert cert.number is not None  # issue() numbers every certificate
    return [_delivery(cert, texts.issued(cert.number))]


def _delivery(cert, text: str) -> Outbound:
    return Outbound(text, (TO_MENU,), meta={"certificate": cert.id})


async def resend(ctx: Context) -> list[Outbound]:
    """/chungnhan: the certificate again, or the naming steps, or what is missing."""
    cert = await service.current(ctx.repo.session, ctx.learner_id)
    if cert is not None:
        if ctx.learner.state in CERTIFICATE:
            ctx.goto(State.menu)
        assert cert.number is not None  # only a revoked stub lacks it
        return [_delivery(cert, texts.again(cert.number))]
    exam = await ctx.repo.best_passed_assessment(ctx.learner_id)
    if exam is not None:
        return [ask_name(ctx, exam, texts.PASSED)]
    return [
        Outbound(
            texts.not_yet(policy.PASS_PERCENT),
            (Choice(shared.EXAM, A.EXAM), TO_MENU),
        )
    ]
