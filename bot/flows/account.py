"""The learner's own things: my data (see, delete) and reminder time."""

import re

from bot import actions as A
from bot import communes
from bot.certificates import service as certificates
from bot.flows.common import TO_MENU, menu
from bot.flows.context import Context
from bot.flows.states import State
from bot.flows.texts import account as texts
from bot.flows.texts import common as shared
from bot.messages import Choice, Outbound
from bot.outreach import schedule
from lessons.limits import LEARNER_GROUPS

_HHMM = re.compile(r"^(\d{1,2})\s*[:hg.]\s*(\d{2})$|^(\d{1,2})\s*[hg]?$")


def _fmt(ctx: Context, when) -> str:
    return ctx.local(when).strftime("%d/%m/%Y %H:%M") if when else texts.NOT_YET


async def show_data(ctx: Context) -> list[Outbound]:
    ln = ctx.learner
    commune = communes.by_code().get(ln.commune_code) if ln.commune_code else None
    unit = await ctx.repo.unit(ln.unit_id)
    progress = await ctx.repo.progress(ctx.learner_id)
    done = sum(1 for p in progress.values() if p.completed_at)
    answers = await ctx.repo.count_answers(ctx.learner_id)
    asked = await ctx.repo.count_tutor_answers(ctx.learner_id)
    cert = await certificates.current(ctx.repo.session, ctx.learner_id)
    cert_line = texts.NOT_YET
    if cert:
        assert cert.number and cert.name  # only a revoked stub lacks them
        shown = texts.CERT_FULL if cert.full_name_public else texts.CERT_INITIALLED
        cert_line = texts.certificate_line(cert.number, cert.name, shown)
    text = texts.my_data(
        name=ln.display_name,
        channel=texts.CHANNEL_NAMES.get(ln.channel, ln.channel),
        group=LEARNER_GROUPS.get(ln.group_code or "", texts.NOT_CHOSEN),
        commune=commune.name if commune else None,
        unit=unit.name if unit else None,
        consent=_fmt(ctx, ln.consent_at),
        reminder=ln.reminder_time,
        done=done,
        answers=answers,
        asked=asked,
        cert=cert_line,
        since=_fmt(ctx, ln.created_at),
    )
    return [Outbound(text, (Choice(texts.DELETE, A.DELETE_ASK), TO_MENU))]


def ask_delete(ctx: Context) -> list[Outbound]:
    ctx.goto(State.delete_confirm)
    return [
        Outbound(
            texts.DELETE_ASK,
            (Choice(texts.DELETE_YES, A.DELETE_YES), Choice(texts.DELETE_NO, A.MENU)),
        )
    ]


async def delete(ctx: Context) -> list[Outbound]:
    if ctx.learner.state != State.delete_confirm:
        return [
            Outbound(f"{shared.STALE_BUTTON} {texts.DELETE_STALE}"),
            menu(),
        ]
    actor = ctx.actor
    # Certificates are revoked and their files removed; a stub keeps the QR answering.
    revoked = await certificates.revoke_for_deletion(ctx.repo.session, ctx.learner, ctx.now)
    counts = await ctx.repo.delete_learner(ctx.learner)
    counts["certificate_revoked"] = revoked
    await ctx.repo.audit(actor, "learner_data_deleted", rows=counts)
    return [Outbound(texts.DELETED)]


def _reminder_choices() -> tuple[Choice, ...]:
    presets = tuple(Choice(label, A.make(A.REMIND_SET, hhmm)) for label, hhmm in texts.PRESETS)
    return (
        *presets,
        Choice(texts.OTHER_TIME, A.make(A.REMIND_SET, "other")),
        Choice(texts.REMINDERS_OFF, A.make(A.REMIND_SET, "off")),
        TO_MENU,
    )


def reminders(ctx: Context) -> list[Outbound]:
    ln = ctx.learner
    if ln.reminder_time:
        days = dict(texts.DAY_CHOICES).get(ln.reminder_days, ln.reminder_days).lower()
        current = texts.current_reminder(ln.reminder_time, days)
    else:
        current = texts.NO_REMINDER
    return [Outbound(texts.when_to_remind(current), _reminder_choices())]


def parse_time(text: str) -> str | None:
    """'18:30', '18h30', '7h', '7' -> 'HH:MM'; None if not a time of day."""
    m = _HHMM.match(text.strip().lower())
    if not m:
        return None
    hour = int(m.group(1) or m.group(3))
    minute = int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def set_reminder(ctx: Context, value: str) -> list[Outbound]:
    if value == "off":
        ctx.learner.reminder_time = None
        ctx.learner.next_reminder_at = None
        ctx.learner.reminders_off = True  # opted out: no staff nudges either
        ctx.goto(State.menu)
        return [menu(texts.TURNED_OFF)]
    if value == "other":
        ctx.goto(State.remind_time)
        return [Outbound(texts.TYPE_TIME, (TO_MENU,))]
    if value.isdigit() and len(value) == 4:  # a preset's "0700"
        value = f"{value[:2]}:{value[2:]}"
    hhmm = parse_time(value)
    if hhmm is None:
        return [Outbound(texts.bad_time(value[:20]), (TO_MENU,))]
    start, end = ctx.quiet
    if schedule.is_quiet(schedule.parse_hhmm(hhmm), start, end):
        return [Outbound(texts.quiet_hours(start, end), _reminder_choices())]
    ctx.goto(State.remind_days, time=hhmm)
    return [
        Outbound(
            texts.which_days(hhmm),
            tuple(Choice(label, A.make(A.REMIND_DAYS, days)) for days, label in texts.DAY_CHOICES),
        )
    ]


def set_days(ctx: Context, days: str) -> list[Outbound]:
    hhmm = ctx.data.get("time")
    label = dict(texts.DAY_CHOICES).get(days)
    if ctx.learner.state != State.remind_days or not hhmm or label is None:
        return [Outbound(shared.STALE_BUTTON), *reminders(ctx)]
    ln = ctx.learner
    ln.reminder_time, ln.reminder_days = hhmm, days
    ln.reminders_ignored, ln.reminder_weekly = 0, False
    ln.reminders_off = False
    ln.next_reminder_at = first = schedule.next_slot(hhmm, days, ctx.now, tz=ctx.tz)
    assert first is not None  # hhmm and days (a DAY_CHOICES entry) are both set
    ctx.goto(State.menu)
    first = ctx.local(first)
    return [menu(texts.saved(hhmm, label.lower(), first, texts.DAY_NAMES[first.isoweekday()]))]
