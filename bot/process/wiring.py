"""Wiring: settings -> curriculum, database (migrated), tutor engine."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import Settings, parse_quiet_hours
from bot.engine import Engine
from bot.process.startup import migrate_when_reachable
from bot.tutor.answerer import Answerer
from lessons.loader import load_or_raise
from storage import db


@asynccontextmanager
async def open_engine(settings: Settings) -> AsyncIterator[Engine]:
    """A ready Engine on a migrated database; the engine is disposed of on exit."""
    catalog = load_or_raise(settings.lessons_dir)
    engine = db.make_engine(settings.database_url, echo=settings.sql_echo)
    tutor: Engine | None = None
    try:
        await migrate_when_reachable(engine, settings.startup_timeout_seconds)
        tutor = Engine(
            db.make_sessionmaker(engine),
            catalog,
            timezone=settings.timezone,
            quiet=parse_quiet_hours(settings.quiet_hours),
            answerer=Answerer.from_settings(catalog, settings),
            reply_lease=settings.reply_lease_seconds,
        )
        yield tutor
    finally:
        if tutor is not None:
            await tutor.close()
        await engine.dispose()
