"""The `hocai` command: chat, run, serve, worker, lessons, db, units, admin, export,
targets, demo, web."""

import argparse
import asyncio
import importlib
import json
import logging
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from bot.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.config import Settings


def _lessons(args: argparse.Namespace) -> int:
    from lessons.lint import lint
    from lessons.loader import load_catalog, stats

    catalog, problems = load_catalog(args.dir or get_settings().lessons_dir)
    if not problems:
        problems = lint(catalog)
    if args.what == "check":
        for p in problems:
            print(p)
        errors = [p for p in problems if not p.warning]
        if errors:
            print(f"{len(errors)} problem(s) found.", file=sys.stderr)
            return 1
        if problems:
            print(f"{len(problems)} warning(s).", file=sys.stderr)
        total = stats(catalog)["total"]
        print(
            f"OK: {len(catalog.modules)} modules, {total['lessons']} lessons, "
            f"{total['questions']} questions, {total['exam']} final-assessment questions, "
            f"{len(catalog.glossary)} glossary terms."
        )
        return 0
    if any(not p.warning for p in problems):
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    data = stats(catalog)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    # quiz: the lesson quizzes' question pools; exam: the final-assessment bank (exam.yaml)
    head = f"{'lessons':>8}{'quiz':>6}{'exam':>6}{'cards':>7}{'minutes':>8}"

    def cells(r: dict) -> str:
        return f"{r['lessons']:>8}{r['questions']:>6}{r['exam']:>6}{r['cards']:>7}{r['minutes']:>8}"

    print(f"{'module':<8}{head}  title")
    for r in data["modules"]:
        print(f"{r['module']:<8}{cells(r)}  {r['title']}")
    print(f"{'total':<8}{cells(data['total'])}")
    print(f"\n{'track':<8}{head}  modules")
    for r in data["tracks"]:
        print(f"{r['group']:<8}{cells(r)}  {', '.join(r['modules'])} ({r['name']})")
    print(f"\nglossary: {data['glossary_terms']} terms")
    return 0


async def _chat(args: argparse.Namespace) -> int:
    from bot.channels import console
    from bot.process.wiring import open_engine

    async with open_engine(get_settings()) as tutor:
        await console.run(tutor, user_id=args.user, display_name=args.name)
    return 0


async def _run(args: argparse.Namespace) -> int:
    from bot.process.runner import run

    return await run(get_settings())


async def _ask(args: argparse.Namespace) -> int:
    from bot.tutor.answerer import Answerer
    from lessons.loader import load_or_raise

    settings = get_settings()
    reply = await Answerer.from_settings(load_or_raise(settings.lessons_dir), settings).respond(
        args.question
    )
    if args.json:
        fields = ("text", "lesson_ids", "lesson_id", "source", "category", "model", "latency_ms")
        print(json.dumps({k: getattr(reply, k) for k in fields}, ensure_ascii=False, indent=2))
    else:
        print(reply.text)
        print(f"\n[{reply.source}/{reply.category}] lessons: {', '.join(reply.lesson_ids) or '-'}")
    return 0


async def _db(args: argparse.Namespace) -> int:
    from storage import db

    settings = get_settings()
    engine = db.make_engine(settings.database_url)
    try:
        if args.what == "prune":
            return await _db_prune(engine, settings)
        if args.what == "upgrade":
            await db.upgrade(engine)
        print(f"database at revision {await db.current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


async def _db_prune(engine: "AsyncEngine", settings: "Settings") -> int:
    """What the worker does hourly: delete update ids past the retention (notes stay)."""
    from datetime import timedelta

    from storage import db
    from storage.repository import prune_processed_updates
    from storage.types import utcnow

    days = settings.processed_update_retention_days
    n = await prune_processed_updates(db.make_sessionmaker(engine), utcnow() - timedelta(days=days))
    print(f"pruned {n} processed update ids older than {days} days")
    return 0


async def _unit_add(args: argparse.Namespace) -> int:
    from bot import communes
    from storage import db
    from storage.models import AuditLog, Unit

    if args.commune is not None and args.commune not in communes.by_code():
        print(f"error: no commune with code {args.commune} in Thái Nguyên", file=sys.stderr)
        return 2
    engine = db.make_engine(get_settings().database_url)
    try:
        await db.upgrade(engine)
        async with db.make_sessionmaker(engine)() as session, session.begin():
            unit = Unit(
                code=args.code.strip().upper(),
                name=args.name,
                commune_code=args.commune,
                kind=args.kind,
                headcount=args.headcount,
            )
            session.add(unit)
            session.add(
                AuditLog(actor="admin:cli", action="unit_added", detail={"unit": unit.code})
            )
    except Exception as e:  # noqa: BLE001  (one clear line instead of a traceback)
        print(f"error: could not add unit {args.code}: {type(e).__name__}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(f"unit {unit.code} added: {unit.name}")
    return 0


def _has_tokens() -> bool:
    s = get_settings()
    return bool(s.telegram_bot_token or s.zalo_bot_token or s.zalo_oa_app_id)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hocai", description="Bình dân học AI chat tutor")
    sub = p.add_subparsers(dest="cmd", required=True)

    sub.add_parser(
        "run", help="run the tutor: Telegram/Zalo when tokens are set, else the console chat"
    )
    sub.add_parser(
        "serve", help="the channels' webhooks, dashboard, API, /healthz /readyz /metrics"
    )
    sub.add_parser(
        "worker", help="scheduler and outbox dispatcher (leader-elected on Postgres); probes"
    )
    chat = sub.add_parser("chat", help="chat with the tutor in this terminal (or from a pipe)")
    chat.add_argument("--user", default="local", help="console learner id (default: local)")
    chat.add_argument("--name", default=None, help="display name to store after consent")

    les = sub.add_parser("lessons", help="check or summarise the lesson files")
    les.add_argument("what", choices=["check", "stats"])
    les.add_argument("--dir", default=None, help="lessons folder (default: LESSONS_DIR)")
    les.add_argument("--json", action="store_true", help="stats as JSON")

    ask = sub.add_parser("ask", help="ask the AI tutor one question (no learner, no quota)")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="answer, lesson ids, source as JSON")

    dbp = sub.add_parser("db", help="database migrations; prune old processed update ids")
    dbp.add_argument("what", choices=["upgrade", "current", "prune"])

    for name in ("telegram", "zalo"):
        ch = sub.add_parser(name, help=f"{name.title()} bot setup")
        ch_sub = ch.add_subparsers(dest="what", required=True)
        hook = ch_sub.add_parser("set-webhook", help="register URL as the bot's webhook")
        hook.add_argument("url")
        ch_sub.add_parser("delete-webhook", help="remove the webhook (back to polling)")
        ch_sub.add_parser("info", help="show the bot and its webhook")

    oa = sub.add_parser("zalo-oa", help="Zalo Official Account setup (docs/ZALO_OA.md)")
    oa_sub = oa.add_subparsers(dest="what", required=True)
    connect = oa_sub.add_parser("connect", help="OAuth v4 (PKCE): authorise, store the tokens")
    connect.add_argument("--code", default=None, help=argparse.SUPPRESS)  # tests, scripts
    oa_sub.add_parser("info", help="the OA and its stored tokens' validity (never the tokens)")
    oa_sub.add_parser("refresh", help="refresh the access token now")

    unit = sub.add_parser("units", help="manage units (agencies, enterprises)")
    unit_sub = unit.add_subparsers(dest="what", required=True)
    add = unit_sub.add_parser("add", help="add a unit with its join code")
    add.add_argument("--code", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--commune", type=int, default=None, help="commune code")
    add.add_argument("--kind", default="agency", choices=["agency", "enterprise", "coop", "school"])
    add.add_argument("--headcount", type=int, default=None)

    from bot.admin import cli as admin_cli  # admin, units import/links, export, demo, web

    admin_cli.add_parsers(sub, unit_sub)
    return p


def run_service(main: Coroutine[Any, Any, int]) -> int:
    """Run a long-lived process (run, serve, worker) on uvloop where it is installed: a
    faster event loop for the web server, the Bot API clients and the database drivers
    (docs/PERFORMANCE.md, webhook). Plain asyncio otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def _dispatch(args: argparse.Namespace) -> int:
    if args.cmd == "lessons":
        return _lessons(args)
    if args.cmd == "chat":
        return asyncio.run(_chat(args))
    if args.cmd == "run":
        return run_service(_run(args))
    if args.cmd == "worker":
        from bot.process.runner import work

        return run_service(work(get_settings()))
    if args.cmd == "serve":
        from bot.process.runner import serve

        return run_service(serve(get_settings()))
    if args.cmd == "ask":
        return asyncio.run(_ask(args))
    if args.cmd == "db":
        return asyncio.run(_db(args))
    if args.cmd == "zalo-oa":
        from bot.channels.zalo_oa import cli as oa_cli

        return asyncio.run(oa_cli.main(args, get_settings()))
    if args.cmd in ("telegram", "zalo"):
        # Each channel package has a cli module: async main(args, settings) -> int.
        module = importlib.import_module(f"bot.channels.{args.cmd}.cli")
        return asyncio.run(module.main(args, get_settings()))
    if args.cmd in ("admin", "staff", "export", "targets", "demo", "web", "certificates") or (
        args.cmd == "units" and args.what != "add"
    ):
        from bot.admin import cli as admin_cli

        return admin_cli.dispatch(args)
    return asyncio.run(_unit_add(args))


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    from bot import logs

    console = args.cmd == "chat" or (args.cmd == "run" and not _has_tokens())
    logs.setup(get_settings(), "chat" if console else args.cmd)  # JSON lines or text
    if console:
        # The chat is the screen: keep routine logs off it.
        logging.getLogger().setLevel(logging.WARNING)
    from bot.process.startup import StartupFailed

    try:
        code = _dispatch(args)
    except StartupFailed:  # logged already, in one line
        code = 3
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:  # e.g. `hocai chat | head`: the reader left
        sys.stderr.close()
        code = 0
    sys.exit(code)
