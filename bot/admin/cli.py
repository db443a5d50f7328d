"""CLI commands of the admin side (wired into `hocai` by bot/cli.py):

  hocai admin add|remove|list|link, hocai admin token create|list|revoke
  hocai staff add|remove|list (core staff: --scope province|commune:CODE|unit:CODE)
  hocai units import CSV, hocai units links --out DIR
  hocai export progress --format xlsx|csv [--out FILE|DIR] [--commune] [--unit] [--group]
  hocai targets show [--json], hocai targets base KEY POPULATION [--source]
  hocai targets leaderboard [--json] [--by trained|proficient]
  hocai demo seed --learners N [--force]
  hocai web (the dashboard and API without the bots)

The CLI acts as an admin ("admin:cli" in the audit log): whoever runs it has the database.
"""

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import communes
from bot.config import Settings, get_settings
from lessons.limits import LEARNER_GROUPS

if TYPE_CHECKING:
    from lessons.loader import Catalog

Subparsers = argparse._SubParsersAction  # what add_subparsers() returns

COMMANDS = ("admin", "staff", "export", "targets", "demo", "web")
CLI_ACTOR = "admin:cli"


def add_parsers(sub: Subparsers, unit_sub: Subparsers) -> None:
    adm = sub.add_parser("admin", help="admins, staff and API tokens")
    adm_sub = adm.add_subparsers(dest="what", required=True)
    add = adm_sub.add_parser("add", help="make a chat an admin or a staff member")
    _chat_args(add)
    add.add_argument("--role", choices=["admin", "staff"], default="staff")
    where = add.add_mutually_exclusive_group()
    where.add_argument("--commune", type=int, help="staff scope: this commune (code)")
    where.add_argument("--unit", help="staff scope: this unit (join code)")
    add.add_argument("--name", help="how the dashboard greets them")
    rm = adm_sub.add_parser("remove", help="remove a chat's role")
    _chat_args(rm)
    adm_sub.add_parser("list", help="list admins and staff")
    link = adm_sub.add_parser("link", help="print a one-time dashboard login link")
    _chat_args(link)
    tok = adm_sub.add_parser("token", help="API tokens for the admin API")
    tok_sub = tok.add_subparsers(dest="token_cmd", required=True)
    create = tok_sub.add_parser("create", help="create a token acting as this role holder")
    _chat_args(create)
    create.add_argument("--name", required=True, help="what the token is for")
    create.add_argument("--days", type=int, default=None, help="expires after (default: never)")
    tok_sub.add_parser("list", help="list tokens (never their values)")
    revoke = tok_sub.add_parser("revoke", help="revoke a token")
    revoke.add_argument("id", type=int)

    stf = sub.add_parser("staff", help="core staff: who may broadcast and see their scope")
    stf_sub = stf.add_subparsers(dest="what", required=True)
    sadd = stf_sub.add_parser("add", help="make a chat a staff member with a scope")
    _chat_args(sadd)
    sadd.add_argument(
        "--scope",
        required=True,
        help="province, commune:CODE (commune code) or unit:CODE (unit join code)",
    )
    sadd.add_argument("--name", help="how the dashboard greets them")
    srm = stf_sub.add_parser("remove", help="remove a staff member's role")
    _chat_args(srm)
    stf_sub.add_parser("list", help="list staff members and their scopes")

    imp = unit_sub.add_parser("import", help="import units from a CSV (upsert by code)")
    imp.add_argument("csv", type=Path)
    links = unit_sub.add_parser("links", help="write each unit's join link as a QR code PNG")
    links.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    links.add_argument("--commune", type=int, default=None, help="only units of this commune")

    exp = sub.add_parser("export", help="export learner progress")
    exp_sub = exp.add_subparsers(dest="what", required=True)
    prog = exp_sub.add_parser("progress", help="one row per learner (XLSX or CSV)")
    prog.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    prog.add_argument(
        "--out", type=Path, default=None, help="file, or folder for a timestamped name"
    )
    prog.add_argument("--commune", default=None, help="commune code or name")
    prog.add_argument("--unit", default=None, help="unit join code")
    prog.add_argument("--group", choices=list(LEARNER_GROUPS), default=None)

    tgt = sub.add_parser("targets", help="the province's targets report")
    tgt_sub = tgt.add_subparsers(dest="what", required=True)
    show = tgt_sub.add_parser("show", help="print the report")
    show.add_argument("--json", action="store_true")
    base = tgt_sub.add_parser("base", help="set how many people a target counts against")
    base.add_argument(
        "key", help="public_servants, business, citizens, or commune:CODE (its population)"
    )
    base.add_argument("population", type=int)
    base.add_argument("--source", default=None, help="where the figure comes from")
    board = tgt_sub.add_parser("leaderboard", help="communes and units ranked (thi đua)")
    board.add_argument("--json", action="store_true")
    board.add_argument("--by", choices=["trained", "proficient"], default="trained")

    demo = sub.add_parser("demo", help="synthetic data for demos and benchmarks")
    demo_sub = demo.add_subparsers(dest="what", required=True)
    seed = demo_sub.add_parser("seed", help="add N synthetic learners")
    seed.add_argument("--learners", type=int, required=True)
    seed.add_argument("--force", action="store_true", help="even if real learners exist")
    seed.add_argument("--seed", type=int, default=20251213, help="random seed")

    sub.add_parser("web", help="serve the dashboard and admin API only (no bots)")
    from bot.certificates import cli as certificates_cli

    certificates_cli.add_parser(sub)


def _chat_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channel", choices=["telegram", "zalo", "zalo_oa", "console"], required=True)
    p.add_argument("--user-id", required=True, help="the chat's user id on that channel")


@asynccontextmanager
async def _db(
    settings: Settings,
) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    from storage import db

    engine = db.make_engine(settings.database_url, echo=settings.sql_echo)
    try:
        await db.upgrade(engine)
        yield engine, db.make_sessionmaker(engine)
    finally:
        await engine.dispose()


def _catalog(settings: Settings) -> "Catalog":
    from lessons.loader import load_or_raise

    return load_or_raise(settings.lessons_dir)


def dispatch(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.cmd == "admin":
        return asyncio.run(_admin(args, settings))
    if args.cmd == "staff":
        return asyncio.run(_staff(args))
    if args.cmd == "units":
        return asyncio.run(_units(args, settings))
    if args.cmd == "export":
        return asyncio.run(_export(args, settings))
    if args.cmd == "targets":
        return asyncio.run(_targets(args, settings))
    if args.cmd == "demo":
        return asyncio.run(_demo(args, settings))
    if args.cmd == "web":
        return asyncio.run(_web(settings))
    if args.cmd == "certificates":
        from bot.certificates import cli as certificates_cli

        return asyncio.run(certificates_cli.run(args, settings, _db))
    return 2


def _err(text: str) -> int:
    print(f"error: {text}", file=sys.stderr)
    return 2


# --- admin -------------------------------------------------------------------------------


async def _admin(args: argparse.Namespace, settings: Settings) -> int:
    from bot.admin import staff, tokens
    from bot.admin.roles import Role, principal_for
    from storage.models import ApiToken, AuditLog, StaffRole
    from storage.types import utcnow

    async with _db(settings) as (_engine, sessions), sessions() as session, session.begin():
        now = utcnow()
        if args.what == "add":
            if args.commune is not None:
                spec = staff.ScopeSpec("commune", commune=args.commune)
            elif args.unit:
                spec = staff.ScopeSpec("unit", unit_code=args.unit.upper())
            else:
                spec = staff.ScopeSpec("province")
            try:
                row = await staff.grant(
                    session, args.channel, args.user_id, args.role, spec, CLI_ACTOR, args.name
                )
            except staff.GrantError as e:
                return _err(str(e))
            print(f"{args.channel}:{args.user_id} is now {args.role} ({row.scope})")
            return 0
        if args.what == "remove":
            removed = await staff.revoke(session, args.channel, args.user_id, CLI_ACTOR)
            print("removed" if removed else "no role for that chat")
            return 0 if removed else 1
        if args.what == "list":
            rows = (await session.execute(select(StaffRole).order_by(StaffRole.id))).scalars()
            for r in rows:
                where = r.commune_code if r.scope == "commune" else r.unit_id or ""
                seen = r.last_seen_at.isoformat(timespec="minutes") if r.last_seen_at else "-"
                print(
                    f"{r.role:<6} {r.channel}:{r.channel_user_id:<14} {r.scope:<8} {where!s:<8} "
                    f"seen {seen}  {r.name or ''}"
                )
            for channel, ids in (
                ("telegram", settings.admin_telegram_ids),
                ("zalo", settings.admin_zalo_ids),
            ):
                for uid in ids:
                    print(f"admin  {channel}:{uid:<14} province (from ADMIN_{channel.upper()}_IDS)")
            return 0
        if args.what == "link":
            who = await principal_for(session, settings, args.channel, args.user_id)
            if who.role == Role.learner:
                return _err("that chat has no admin or staff role")
            if settings.secret_key is None:
                print("warning: SECRET_KEY is not set: the link works only in this process, so "
                      "not in the web server", file=sys.stderr)  # fmt: skip
            print(await tokens.issue_login(session, settings, args.channel, args.user_id, now))
            return 0
        # token
        if args.token_cmd == "create":
            who = await principal_for(session, settings, args.channel, args.user_id)
            if who.role == Role.learner or who.scope is None:
                return _err("that chat has no admin or staff role; add one first")
            token_id, token = await tokens.create_api_token(
                session, args.channel, args.user_id, args.name, now, days=args.days
            )
            session.add(
                AuditLog(actor=CLI_ACTOR, action="api_token_created", detail={"id": token_id})
            )
            print(f"token {token_id} ({who.role}, {who.scope.kind}); shown only once:")
            print(token)
            return 0
        if args.token_cmd == "list":
            for t in (await session.execute(select(ApiToken).order_by(ApiToken.id))).scalars():
                state = "revoked" if t.revoked_at else "active"
                print(f"{t.id:>4} {state:<8} {t.channel}:{t.channel_user_id:<14} {t.name}")
            return 0
        ok = await tokens.revoke_api_token(session, args.id, now)
        session.add(AuditLog(actor=CLI_ACTOR, action="api_token_revoked", detail={"id": args.id}))
        print("revoked" if ok else "no such active token")
        return 0 if ok else 1


# --- staff -------------------------------------------------------------------------------


async def _staff(args: argparse.Namespace) -> int:
    """hocai staff add|remove|list: core staff with a scope (admins: hocai admin add)."""
    from bot.admin import staff

    settings = get_settings()
    async with _db(settings) as (_engine, sessions), sessions() as session, session.begin():
        if args.what == "add":
            try:
                spec = staff.parse_scope(args.scope)
                row = await staff.grant(
                    session, args.channel, args.user_id, "staff", spec, CLI_ACTOR, args.name
                )
            except staff.GrantError as e:
                return _err(str(e))
            suffix = {"unit": f" {spec.unit_code}", "commune": f" {row.commune_code}"}
            scope = row.scope + suffix.get(row.scope, "")
            print(f"{args.channel}:{args.user_id} is now staff ({scope})")
            return 0
        if args.what == "remove":
            removed = await staff.revoke(session, args.channel, args.user_id, CLI_ACTOR, "staff")
            print(
                "removed" if removed else "no staff role for that chat (admins: hocai admin remove)"
            )
            return 0 if removed else 1
        rows = await staff.roles(session, role="staff")
        for r, where in rows:
            seen = r.last_seen_at.isoformat(timespec="minutes") if r.last_seen_at else "-"
            chat = f"{r.channel}:{r.channel_user_id}"
            print(f"{chat:<24} {where:<28} seen {seen}  {r.name or ''}")
        if not rows:
            print("no staff yet: hocai staff add --channel … --user-id … --scope …")
        return 0


# --- units -------------------------------------------------------------------------------


async def _units(args: argparse.Namespace, settings: Settings) -> int:
    from bot.admin import qr
    from bot.admin.units_import import import_units
    from storage.models import Unit

    async with _db(settings) as (_engine, sessions), sessions() as session, session.begin():
        if args.what == "import":
            try:
                data = args.csv.read_bytes()
            except OSError as e:
                return _err(f"cannot read {args.csv}: {e.strerror}")
            result = await import_units(session, data, CLI_ACTOR)
            for problem in result.errors:
                print(f"{args.csv}:{problem}", file=sys.stderr)
            if result.errors:
                print(f"{len(result.errors)} problem(s); nothing imported.", file=sys.stderr)
                await session.rollback()
                return 1
            print(f"units imported: {result.added} added, {result.updated} updated")
            return 0
        stmt = select(Unit).order_by(Unit.code)
        if args.commune is not None:
            stmt = stmt.where(Unit.commune_code == args.commune)
        units = list((await session.execute(stmt)).scalars())
        n = qr.write_links(units, args.out, settings)
        print(f"{n} QR codes written to {args.out} (with lien-ket.csv and in-ma-qr.html)")
        return 0


# --- export ------------------------------------------------------------------------------


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from bot.admin import export as exp
    from bot.admin.reports.service import ReportService
    from bot.admin.roles import PROVINCE, Filter, Scope
    from storage.models import Unit
    from storage.types import utcnow

    tz = ZoneInfo(settings.timezone)
    commune = None
    if args.commune:
        if args.commune.isdigit():
            commune = int(args.commune)
            if commune not in communes.by_code():
                return _err(f"no commune with code {commune}")
        else:
            found = communes.search(args.commune, limit=2)
            if len(found) != 1:
                names = ", ".join(c.name for c in found) or "none"
                return _err(f"commune {args.commune!r} is ambiguous or unknown ({names})")
            commune = found[0].code
    out = args.out or Path(".")
    if out.is_dir():
        out = out / exp.filename(args.format, utcnow(), tz)
    async with _db(settings) as (_engine, sessions):
        unit = None
        if args.unit:
            async with sessions() as session:
                unit = (
                    await session.execute(select(Unit).where(Unit.code == args.unit.upper()))
                ).scalar_one_or_none()
            if unit is None:
                return _err(f"no unit with code {args.unit}")
        flt = Filter(commune, unit.id if unit else None, args.group)
        if unit:
            scope = Scope("unit", unit.commune_code, unit.id)
        elif commune is not None:
            scope = Scope("commune", commune)
        else:
            scope = PROVINCE
        catalog = _catalog(settings)
        reports = ReportService(sessions, catalog, ttl=0)
        started = time.monotonic()
        rows = await exp.write_export(
            sessions, catalog, reports, exp.Export(args.format, flt, CLI_ACTOR, scope), out, tz
        )
    print(f"{rows} learners written to {out} in {time.monotonic() - started:.1f} s")
    return 0


# --- targets -----------------------------------------------------------------------------


async def _targets(args: argparse.Namespace, settings: Settings) -> int:
    from bot.admin.reports.service import ReportService
    from storage.models import AuditLog, TargetBase
    from storage.types import utcnow

    async with _db(settings) as (_engine, sessions):
        if args.what == "leaderboard":
            return await _leaderboard(args, sessions)
        if args.what == "base":
            problem = _base_key_problem(args.key, args.population)
            if problem:
                return _err(problem)
            async with sessions() as session, session.begin():
                row = await session.get(TargetBase, args.key)
                if row is None:
                    row = TargetBase(key=args.key, population=args.population)
                    session.add(row)
                row.population, row.source, row.updated_at = (
                    args.population,
                    args.source,
                    utcnow(),
                )
                session.add(
                    AuditLog(
                        actor=CLI_ACTOR,
                        action="target_base_set",
                        detail={"key": args.key, "population": args.population},
                    )
                )
            print(f"{args.key}: {args.population}")
            return 0
        report = await ReportService(sessions, _catalog(settings), ttl=0).report()
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return 0
    t = report.total
    print(f"learners {t.learners}  trained {t.trained}  proficient {t.proficient}")
    for target in report.targets:
        print(f"\n{target.label} (base {target.base or '?'}: {target.base_source})")
        for m in target.metrics:
            state = "?" if m.met is None else ("met" if m.met else "BELOW")
            pct = "?" if m.pct is None else f"{m.pct}%"
            print(f"  {m.label}: {m.value}/{m.of or '?'} = {pct} (target {m.target_pct}%) {state}")
    print(f"\ncommunes below target: {report.communes_below}/{len(report.communes)}")
    print(f"units below target: {report.units_below}/{len(report.units)}")
    return 0


def _base_key_problem(key: str, population: int) -> str | None:
    from bot.admin.leaderboard import COMMUNE_BASE_PREFIX
    from bot.admin.reports.targets import TARGET_KEYS

    if population < 0:
        return "population must be ≥ 0"
    if key in TARGET_KEYS:
        return None
    code = key.removeprefix(COMMUNE_BASE_PREFIX)
    if key.startswith(COMMUNE_BASE_PREFIX) and code.isdigit() and int(code) in communes.by_code():
        return None
    return f"key must be one of {', '.join(TARGET_KEYS)} or commune:CODE (a commune code)"


async def _leaderboard(args: argparse.Namespace, sessions: async_sessionmaker[AsyncSession]) -> int:
    from bot.admin import leaderboard
    from storage.types import utcnow

    async with sessions() as session:
        board = await leaderboard.compute(session, utcnow(), args.by)
    if args.json:
        print(json.dumps(board.as_dict(), ensure_ascii=False, indent=2))
        return 0

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1f}%"

    def change(s: leaderboard.Standing) -> str:
        return "" if s.change is None else f"{s.change:+d}"

    print(f"ranked by share {args.by} of the population base; change: places since a week ago")
    for title, rows in (("communes", board.communes), ("units", board.units)):
        print(f"\n{title} ({len(rows)})")
        for s in rows:
            print(
                f"{s.rank:>4}  {change(s):>4}  {s.name[:40]:<40} trained {pct(s.trained_pct):>6}"
                f"  proficient {pct(s.proficient_pct):>6}  base {s.base or '-'} ({s.base_source})"
            )
    return 0


# --- demo --------------------------------------------------------------------------------


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.admin import demo

    if args.learners < 0:
        return _err("--learners must be ≥ 0")
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        print(f"  {done}/{total} learners ({time.monotonic() - started:.0f} s)", file=sys.stderr)

    async with _db(settings) as (engine, _sessions):
        try:
            result = await demo.seed(
                engine,
                _catalog(settings),
                args.learners,
                force=args.force,
                seed_value=args.seed,
                progress=progress,
            )
        except demo.DemoRefused:
            return _err(
                "the database has real learners: demo data refused (use --force only on a "
                "copy that is not production)"
            )
    print(
        f"demo: {result.learners} learners, {result.progress_rows} lesson rows, "
        f"{result.assessments} assessments, {result.units} new units, {result.staff} staff "
        f"in {time.monotonic() - started:.1f} s"
    )
    return 0


# --- web ---------------------------------------------------------------------------------


async def _web(settings: Settings) -> int:
    import uvicorn

    from bot.web.app import create_app

    async with _db(settings) as (_engine, sessions):
        app = create_app([], sessions=sessions, catalog=_catalog(settings), settings=settings)
        config = uvicorn.Config(
            app, host=settings.web_host, port=settings.web_port, log_level="warning"
        )
        print(f"dashboard on http://{settings.web_host}:{settings.web_port}/quan-tri")
        await uvicorn.Server(config).serve()
    return 0
