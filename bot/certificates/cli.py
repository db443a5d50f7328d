"""`hocai certificates list | revoke NUMBER | reissue NUMBER --name "..."` (admin, CLI).

Revoking and re-issuing are audited as "admin:cli", like the dashboard's buttons."""

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.certificates import service
from bot.config import Settings
from storage.models import AuditLog
from storage.types import utcnow

# The admin CLI's database context: migrates, yields the engine and a sessionmaker.
OpenDb = Callable[
    [Settings],
    AbstractAsyncContextManager[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]],
]

CLI_ACTOR = "admin:cli"


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    cert = sub.add_parser("certificates", help="certificates: list, revoke, re-issue")
    what = cert.add_subparsers(dest="what", required=True)
    ls = what.add_parser("list", help="the newest certificates")
    ls.add_argument("--search", default="", help="number, verify code, name or learner id")
    ls.add_argument("--limit", type=int, default=50)
    rv = what.add_parser("revoke", help="revoke a certificate (by its number)")
    rv.add_argument("number")
    re = what.add_parser("reissue", help="re-issue with a corrected name (new number)")
    re.add_argument("number")
    re.add_argument("--name", required=True, help="the full name as it should be printed")


async def run(args: argparse.Namespace, settings: Settings, db: OpenDb) -> int:
    """`db` is the admin CLI's database context (migrates, yields engine and sessions)."""
    from bot.web.certificate_pages import find, search

    tz = ZoneInfo(settings.timezone)
    async with db(settings) as (_engine, sessions):
        if args.what == "list":
            async with sessions() as session:
                rows, total = await find(session, search(args.search), 1, args.limit)
            for listed, pid, _commune, _unit in rows:
                status = f"revoked:{listed.revoked_reason}" if listed.revoked_at else "valid"
                print(
                    f"{listed.number}\t{status}\t{listed.name or '-'}\t{pid or '-'}\t"
                    f"{listed.track}\t{listed.score}/{listed.total}\t"
                    f"{listed.issued_at.astimezone(tz):%Y-%m-%d}"
                )
            print(f"{len(rows)} of {total} certificates", file=sys.stderr)
            return 0
        async with sessions() as session, session.begin():
            cert = await service.by_number(session, args.number)
            if cert is None:
                print(f"error: no certificate numbered {args.number}", file=sys.stderr)
                return 2
            if cert.revoked_at is not None:
                print(f"error: {cert.number} is already revoked", file=sys.stderr)
                return 1
            if args.what == "revoke":
                await service.revoke(session, cert, service.REVOKED_ADMIN, utcnow(), settings)
                session.add(
                    AuditLog(
                        actor=CLI_ACTOR,
                        action="certificate_revoked",
                        detail={"number": cert.number},
                    )
                )
                print(f"{cert.number} revoked")
                return 0
            name = service.clean_name(args.name)
            if name is None:
                print("error: a full name of letters, two words or more", file=sys.stderr)
                return 2
            if cert.learner_id is None:
                print("error: the learner deleted their data", file=sys.stderr)
                return 1
            new = await service.reissue(session, cert, name, utcnow(), settings, CLI_ACTOR)
            print(f"{cert.number} revoked; re-issued as {new.number} for {name}")
            return 0
