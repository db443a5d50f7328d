"""The tutor engine: one Inbound in, the Outbound replies out. It knows no channel.

Every inbound is handled in one database transaction: the update id is claimed first
(so a redelivery is dropped), the learner row is locked, the flow runs, and the new
conversation state is saved with it, and with `process(record=True)` the replies too
(bot/outreach/replies.py). Nothing that matters lives only in memory.

Failures (docs/DEPLOY.md, "Outages"): one of the database or the network raises
Unavailable, nothing is committed and no apology is given, so the channel answers 503
and the platform delivers the update again. A bug in a flow is not retried (a platform
would redeliver it forever and hold the chat's later updates behind it): the update id
is claimed in a transaction of its own, with the apology as the recorded reply.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from time import monotonic, perf_counter
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import actions as A
from bot import metrics
from bot.certificates import service as certificates
from bot.failures import Unavailable, is_infrastructure
from bot.flows import (
    account,
    ask,
    assessment,
    broadcast,
    certificate,
    glossary,
    learning,
    onboarding,
    outreach,
    practice,
    review,
    staff,
    steps,
)
from bot.flows.common import EMPTY, ERROR, STALE, TO_MENU, help_message, menu, too_long
from bot.flows.context import Context
from bot.flows.states import BROADCAST_TEXT, CERTIFICATE, IN_LESSON, ONBOARDING, State
from bot.flows.texts import common as shared
from bot.flows.texts import engine as texts
from bot.messages import Choice, Inbound, Outbound
from bot.outreach import reminders, replies, schedule
from bot.textutil import MAX_INPUT_CHARS, clean, fold, has_letters_or_digits
from bot.tutor.answerer import Answerer
from lessons.loader import Catalog
from storage import db
from storage.models import Learner, LearnerStatus
from storage.repository import DuplicateUpdate, Repository
from storage.types import utcnow

log = logging.getLogger("hocai.engine")
T = TypeVar("T")

COMMANDS = {
    "start": "start",
    "hoc": A.CONTINUE,
    "tiendo": A.PROGRESS,
    "hoi": A.ASK,
    "nhac": A.REMIND,
    "dulieu": A.MYDATA,
    "trogiup": A.HELP,
    "kiemtra": A.EXAM,
    "tudien": A.GLOSSARY,
    "chungnhan": A.CERTIFICATE,
    "help": A.HELP,
    "menu": A.MENU,
    "dangnhap": "dangnhap",  # staff: a dashboard login link (bot/flows/staff.py)
    "thongbao": "thongbao",  # staff: broadcasts (bot/flows/broadcast.py)
    "canbo": "canbo",  # staff: stalled learners, leaderboard (bot/flows/outreach.py)
}
NEW_LEARNER_RETRIES = 2


@dataclass
class Handled:
    """The replies to one inbound; `reply_id`: their outbox row when they were recorded
    (the channel marks it after sending), `recorded_at` the commit's monotonic time."""

    replies: list[Outbound] = field(default_factory=list)
    reply_id: int | None = None
    recorded_at: float = 0.0


def parse_command(text: str) -> tuple[str | None, str | None]:
    """'/start ABC' -> ('start', 'ABC'); '/hoc@hocai_bot' -> ('hoc', None); 'menu' too."""
    if text.strip().lower() == "menu":
        return "menu", None
    if not text.startswith("/"):
        return None, None
    head, _, arg = text[1:].partition(" ")
    name = fold(head.split("@", 1)[0]).replace(" ", "")
    return (name if name in COMMANDS else None), (arg.strip() or None)


class Engine:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: Catalog,
        *,
        timezone: str = "Asia/Ho_Chi_Minh",
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = utcnow,
        quiet: tuple[time, time] = (schedule.QUIET_START, schedule.QUIET_END),
        answerer: Answerer | None = None,
        reply_lease: float = replies.REPLY_LEASE_SECONDS,
    ):
        self.sessions = sessions
        self.catalog = catalog
        self.tz = ZoneInfo(timezone)
        self.rng = rng or random.Random()
        self.clock = clock
        self.quiet = quiet
        # The AI tutor (bot/tutor): offline unless built from settings with a model.
        self.answerer = answerer or Answerer(catalog)
        # SQLite has one writer at a time: transactions wait their turn here, in order,
        # rather than in SQLite's busy handler, which sleeps in growing steps and leaves
        # the database idle meanwhile (docs/PERFORMANCE.md, webhook benchmark). Postgres:
        # no more at once than the pool keeps open, so that a burst of updates waits for
        # a connection rather than opening (and then closing) overflow ones.
        bind = getattr(sessions, "kw", {}).get("bind")
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        self._slots: asyncio.Lock | asyncio.Semaphore | contextlib.nullcontext[None] = (
            asyncio.Lock()
            if sqlite
            else asyncio.Semaphore(db.PG_POOL_SIZE)
            if bind is not None and bind.dialect.name == "postgresql"
            else contextlib.nullcontext()
        )
        # SQLite: each update's transaction on the loop's own thread, not aiosqlite's
        # (storage/db.py, make_inline_engine); the threaded engine when it gives way.
        self._inline = db.make_inline_engine(bind) if bind is not None and sqlite else None
        self._inline_sessions = db.make_sessionmaker(self._inline) if self._inline else None
        self.reply_lease = reply_lease
        self.replies = (
            replies.ReplyMarks(bind, reply_lease, inline=self._inline) if bind is not None else None
        )

    async def close(self) -> None:
        """Close the engine's own connections (the caller disposes of `sessions`' engine)."""
        if self._inline is not None:
            await self._inline.dispose()

    async def _transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`work` in one transaction, committed; SQLite: on the loop's thread first, and
        if that gives way (a lock held elsewhere, a long statement), again on the
        threaded engine (nothing of the first attempt was committed)."""
        async with self._slots:
            if self._inline_sessions is not None:
                try:
                    async with self._inline_sessions() as session, session.begin():
                        return await work(session)
                except OperationalError as e:
                    if not db.gave_way(e):
                        raise
                    metrics.INLINE_FALLBACKS.inc()
            try:
                async with self.sessions() as session, session.begin():
                    return await work(session)
            except DBAPIError as e:
                # A pooled connection that had died unnoticed (no pre-ping: storage/db.py):
                # nothing was committed, or the claim drops the update as a duplicate.
                if not e.connection_invalidated:
                    raise
                log.info("database connection lost, transaction run again")
            async with self.sessions() as session, session.begin():
                return await work(session)

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        """The replies, not recorded (the console, tests). Raises Unavailable."""
        return (await self.process(inbound)).replies

    async def process(self, inbound: Inbound, record: bool = False) -> Handled:
        """Handle one inbound. With `record` (and an update id) the replies are written
        to the outbox in the same transaction: the caller sends them, then calls
        `self.replies.mark`. Raises Unavailable (nothing was committed: deliver again)."""
        started = perf_counter()
        try:
            return await self._handle(inbound, record and bool(inbound.update_id))
        finally:
            metrics.observe_update(inbound, perf_counter() - started)

    async def _handle(self, inbound: Inbound, record: bool) -> Handled:
        for attempt in range(NEW_LEARNER_RETRIES):
            try:
                handled = await self._handle_once(inbound, record)
                # Model calls and certificate files run here, after the commit: no
                # transaction waits on them. (A crash meanwhile: the sweeper sends the
                # recorded replies: the offline answer, the certificate's text.)
                replies = await certificates.finish(handled.replies, self.sessions, self.tz)
                handled.replies = await self.answerer.finish(replies, self.sessions)
                return handled
            except DuplicateUpdate:
                metrics.DUPLICATES.labels(inbound.channel).inc()
                log.info("duplicate update dropped channel=%s", inbound.channel)
                return Handled()
            except IntegrityError as e:
                # Two first messages of a new learner raced to create the row: retry once.
                if attempt + 1 == NEW_LEARNER_RETRIES:
                    return await self._failed(inbound, record, e)
            except Exception as e:
                if is_infrastructure(e):
                    log.warning(
                        "update not handled, database or network unavailable: %s channel=%s",
                        type(e).__name__,
                        inbound.channel,
                    )
                    raise Unavailable(type(e).__name__) from e
                return await self._failed(inbound, record, e)
        return Handled([ERROR])  # not reached

    async def _failed(self, inbound: Inbound, record: bool, error: Exception) -> Handled:
        """A bug: logged, the update claimed so no redelivery runs it again, the apology
        recorded with it. Raises Unavailable if even that cannot be written."""
        log.error("handler failed channel=%s", inbound.channel, exc_info=error)
        metrics.FAILED_UPDATES.labels(inbound.channel).inc()
        if not inbound.update_id:
            return Handled([ERROR])
        handled = await self.claim_and_record(
            inbound.channel,
            inbound.update_id,
            inbound.channel,
            inbound.user_id,
            [ERROR],
            record,
            inbound.update_window,
        )
        return handled or Handled()

    async def claim_and_record(
        self,
        namespace: str,
        key: str,
        channel: str,
        user_id: str,
        messages: list[Outbound],
        record: bool = True,
        window: float | None = None,
    ) -> Handled | None:
        """Claim `key` under `namespace` and record `messages` as its reply, in one
        transaction; None when the key was claimed before. For what a channel answers
        without the engine (a photo, a group) and for the apology after a bug."""
        now = self.clock()

        reply_key = replies.reply_key(
            f"{namespace}/{key}" if namespace != channel else key, window, now
        )

        async def work(session: AsyncSession) -> int | None:
            await Repository(session).claim_update(namespace, key, window)
            if not (record and messages):
                return None
            return await replies.record(
                session,
                channel,
                reply_key,
                user_id,
                messages,
                now=now,
                lease=self.reply_lease,
                learner_id=None,
            )

        try:
            reply_id = await self._transaction(work)
        except DuplicateUpdate:
            return None
        except Exception as e:
            if is_infrastructure(e):
                raise Unavailable(type(e).__name__) from e
            raise
        return Handled(list(messages), reply_id, monotonic())

    async def _handle_once(self, inbound: Inbound, record: bool) -> Handled:
        handled = await self._transaction(lambda s: self._in_session(s, inbound, record))
        handled.recorded_at = monotonic()  # committed: the reply's lease runs from now
        return handled

    async def _in_session(self, session: AsyncSession, inbound: Inbound, record: bool) -> Handled:
        repo = Repository(session)
        if inbound.update_id:
            await repo.claim_update(inbound.channel, inbound.update_id, inbound.update_window)
        learner = await repo.learner_for(inbound.channel, inbound.user_id)
        if learner is None:
            learner = Learner(channel=inbound.channel, channel_user_id=inbound.user_id)
            await repo.add(learner)
        ctx = Context(
            inbound=inbound,
            learner=learner,
            repo=repo,
            catalog=self.catalog,
            now=self.clock(),
            tz=self.tz,
            rng=self.rng,
            quiet=self.quiet,
        )
        out = await self._route(ctx)
        state = inspect(learner)
        if not (state.deleted or state.was_deleted):
            learner.last_active_at = ctx.now
            if learner.status == LearnerStatus.unreachable:  # they wrote: reachable again
                learner.status = LearnerStatus.active
            reminders.on_activity(learner, ctx.now, self.tz)
            # Typed numbers refer to the latest choices shown; a reply without any
            # clears them, except a notice about the message itself (empty, too long).
            offered = [o.choices for o in out if o.choices]
            if offered:
                learner.choices = [
                    [c.label, c.action, c.typed] if c.typed else [c.label, c.action]
                    for c in offered[-1]
                ]
            elif any(o.kind != "notice" for o in out):
                learner.choices = []
        reply_id = None
        if record and out:
            assert inbound.update_id  # process() records only an update with an id
            gone = state.deleted or state.was_deleted
            reply_id = await replies.record(
                session,
                inbound.channel,
                replies.reply_key(inbound.update_id, inbound.update_window, ctx.now),
                inbound.user_id,
                out,
                now=ctx.now,
                lease=self.reply_lease,
                learner_id=None if gone else learner.id,
            )
        log.info(
            "handled channel=%s learner=%s state=%s verb=%s replies=%d",
            inbound.channel,
            learner.pid,
            learner.state,
            ctx.action.verb if ctx.action else "-",
            len(out),
        )
        return Handled(out, reply_id)

    # --- routing ----------------------------------------------------------------------

    async def _route(self, ctx: Context) -> list[Outbound]:
        inbound, learner = ctx.inbound, ctx.learner
        text = clean(inbound.text)
        if inbound.action is not None:
            ctx.action = A.parse(inbound.action)
            if ctx.action is None:
                return self._refuse(ctx)
        elif learner.state in BROADCAST_TEXT and not text.startswith("/"):
            # Staff typing an announcement: line breaks kept; the channels' limit, not
            # the chat's, applies (the flow checks it).
            ctx.action = self._choice_from_text(learner, text)
            if ctx.action is None:
                ctx.text = broadcast.clean_text(inbound.text)
        elif len(text) > MAX_INPUT_CHARS:
            return [too_long(MAX_INPUT_CHARS)]
        elif learner.state != State.new and not has_letters_or_digits(text):
            return [EMPTY]
        else:
            ctx.action = self._choice_from_text(learner, text)
            if ctx.action is None:
                ctx.text = text

        command, arg = parse_command(ctx.text) if ctx.action is None else (None, None)
        if command == "dangnhap":
            return await staff.login_link(ctx)
        if command == "thongbao" or broadcast.claims(ctx):
            out = await broadcast.route(ctx, command)
            if out is not None:
                return out
            if command == "thongbao":  # not staff: what /trogiup gives, as for anyone
                command = "trogiup"
        if command == "canbo" or outreach.claims(ctx):
            out = await outreach.route(ctx, command)
            if out is not None:
                return out
            if command == "canbo":
                command = "trogiup"
        if learner.state in ONBOARDING:
            if command == "start" or learner.state == State.new:
                return onboarding.start(ctx, arg if command == "start" else None)
            if command == "trogiup":
                return [help_message(), *onboarding.current_step(ctx)]
            if command:
                return [
                    Outbound(texts.ONBOARDING_FIRST),
                    *onboarding.current_step(ctx),
                ]
            return await onboarding.handle(ctx)
        if command == "start":
            return await self._start_again(ctx, arg)
        if command:
            ctx.action = A.parse(COMMANDS[command])
        if ctx.action:
            return await self._act(ctx)
        return await self._free_text(ctx)

    def _choice_from_text(self, learner: Learner, text: str) -> A.Action | None:
        """A typed reply that names one of the last offered choices picks it; anything
        else is free text (None). This is how button-less channels (Zalo, console) choose.

        Accepted: the number ('2', '2.', '2)', 'số 2', 'so 2', 'chọn 2', or '1. Đồng ý'
        copied whole), the letter where options are lettered ('B', 'b.', 'đáp án B'), and
        the label itself, or a quiz option's whole text, with or without diacritics, in any
        case and spacing ('dong y',
        'ĐỒNG  Ý', 'bỏqua'), also without the label's own numbering ('AI là gì' for
        '1. AI là gì'). Labels that match only once folded and more than one of them
        match pick nothing: the exact spelling has to decide.
        """
        offered = learner.choices or []
        words = fold(text).strip(" .").split()
        if not offered or not words:
            return None

        def number(word: str) -> int | None:  # '2' or '2.' -> index 1, if offered
            word = word.rstrip(".")
            ok = word.isdecimal() and len(word) <= 3 and 1 <= int(word) <= len(offered)
            return int(word) - 1 if ok else None

        def key(label: str) -> str:  # folded, no spaces, no dots at the ends
            return fold(label).strip(" .").replace(" ", "")

        def core(label: str) -> str:  # '1. AI là gì' / '1.2 Tên bài' -> 'ailagi' / 'tenbai'
            head, _, rest = fold(label).partition(" ")
            return key(rest) if rest and head.replace(".", "").isdecimal() else ""

        for prefix in (["so"], ["chon"], ["dap", "an"], ["phuong", "an"]):
            rest = words[len(prefix) :]
            if words[: len(prefix)] == prefix and len(rest) == 1:
                if number(rest[0]) is not None or len(rest[0].rstrip(".")) == 1:
                    words = [rest[0].rstrip(".")]  # 'số 2', 'chọn B'
                break
        first = number(words[0])
        if first is not None and (len(words) == 1 or key(offered[first][0]) == "".join(words[1:])):
            return A.parse(offered[first][1])
        typed = "".join(words)
        hits = [
            i
            for i, (label, _, *more) in enumerate(offered)
            if typed in (key(label), core(label), *(key(m) for m in more if m))
        ]
        if len(hits) > 1:
            exact = " ".join(text.casefold().split())
            hits = [i for i in hits if " ".join(offered[i][0].casefold().split()) == exact]
        return A.parse(offered[hits[0]][1]) if len(hits) == 1 else None

    async def _act(self, ctx: Context) -> list[Outbound]:
        act = ctx.action
        assert act is not None  # called only with ctx.action set
        payload = ":".join((act.verb, *act.args))
        match act.verb:
            case A.MENU:
                if ctx.learner.state not in (*IN_LESSON, State.exam, State.review):
                    ctx.goto(State.menu)
                return [menu()]
            case A.PRACTICE_EXAMPLE if len(act.args) == 1:
                return await self._practice(ctx, act.args[0], example=True)
            case A.EXAM if not act.args:
                return await assessment.open_exam(ctx)
            case A.EXAM if act.args == ("go",):
                return await assessment.start(ctx)
            case A.EXAM if len(act.args) == 3:
                return await assessment.answer(ctx)
            case A.GLOSSARY:
                ctx.goto(State.glossary)
                return [glossary.index(self.catalog)]
            case A.CONTINUE:
                return await learning.continue_learning(ctx)
            case A.LIST | A.MODULE | A.LESSON:
                return await learning.choose_lesson(ctx)
            case A.CARD if len(act.args) == 2:
                return await learning.next_card(ctx)
            case A.ANSWER if len(act.args) == 3:
                return await learning.answer(ctx)
            case A.MISSED if len(act.args) == 2:
                return await learning.show_missed(ctx)
            case A.PROGRESS:
                return await learning.show_progress(ctx)
            case A.ASK:
                return ask.start(ctx)
            case A.REMIND:
                return account.reminders(ctx)
            case A.REMIND_SET if len(act.args) == 1:
                return account.set_reminder(ctx, act.args[0])
            case A.REMIND_DAYS if len(act.args) == 1:
                return account.set_days(ctx, act.args[0])
            case A.REVIEW if not act.args:
                return await review.start(ctx)
            case A.REVIEW if len(act.args) == 2:
                return await review.answer(ctx)
            case A.FEEDBACK:
                return await self.answerer.feedback(ctx) or self._refuse(ctx)
            case A.HELP:
                return [help_message()]
            case A.CERTIFICATE:
                return await certificate.act(ctx)
        match payload:
            case A.MYDATA:
                return await account.show_data(ctx)
            case A.DELETE_ASK:
                return account.ask_delete(ctx)
            case A.DELETE_YES:
                return await account.delete(ctx)
        return self._refuse(ctx)

    def _refuse(self, ctx: Context) -> list[Outbound]:
        if ctx.learner.state in ONBOARDING:
            return [STALE, *onboarding.current_step(ctx)]
        return steps.refuse(ctx)

    async def _practice(self, ctx: Context, lesson_id: str, example: bool) -> list[Outbound]:
        lesson = self.catalog.lessons.get(lesson_id)
        if ctx.learner.state != State.practice or ctx.data.get("lesson") != lesson_id or not lesson:
            return steps.refuse(ctx)
        after = len(lesson.cards) + 1
        if example:
            return [practice.example(lesson, after)]
        return [await self.answerer.practice(ctx, lesson, ctx.text, after)]

    async def _free_text(self, ctx: Context) -> list[Outbound]:
        state = ctx.learner.state
        if state == State.remind_time:
            return account.set_reminder(ctx, ctx.text)
        if state == State.practice:
            return await self._practice(ctx, ctx.data["lesson"], example=False)
        if state in CERTIFICATE:
            return await certificate.on_text(ctx)
        if state == State.glossary:
            found = glossary.lookup(self.catalog, ctx.text)
            if found:
                return [glossary.entry(found)]
        reply = await self.answerer.ask(ctx)
        if state in (*IN_LESSON, State.exam):
            back = Choice(
                texts.BACK_TO_EXAM if state == State.exam else texts.BACK_TO_LESSON,
                A.EXAM if state == State.exam else A.CONTINUE,
            )
            kept = [c for c in reply.choices if c != TO_MENU and c.action != A.LIST]
            first = [c for c in kept if c.action.startswith(f"{A.LESSON}:")]
            rest = [c for c in kept if c not in first]
            reply = Outbound(reply.text, (*first, back, *rest, TO_MENU), meta=reply.meta)
        return [reply]

    async def _start_again(self, ctx: Context, code: str | None) -> list[Outbound]:
        if code:
            unit = await ctx.repo.unit_by_code(code[:32])
            if unit:
                ctx.learner.unit_id = unit.id
                await ctx.repo.audit(ctx.actor, "unit_joined", unit=unit.code)
                return [menu(shared.unit_joined(unit.name))]
        return onboarding.welcome_back(ctx)
