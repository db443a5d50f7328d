"""Logging: JSON lines for the services, plain text for people at a terminal.

- One line per event: `{"ts", "level", "logger", "msg", ...}` (extra fields and a
  traceback as `exc`, newlines escaped inside the JSON string).
- Secrets are masked in every line, whatever logged them: the configured tokens, webhook
  secrets, API keys and the database password, and anything shaped like a Bot API URL
  token (`/bot123:abc…/`).
- Libraries that would log personal data or secrets are kept quiet: httpx logs each
  request URL (the Zalo token is in the path) at INFO; SQLAlchemy's engine logger, once
  enabled by a DEBUG root level, would print statement parameters and rows.
- The code's own log lines name learners only by their pseudonymous `pid` and never carry
  message text (tests/production/test_logs.py checks a whole conversation's logs).
"""

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from bot.config import Settings
from bot.metrics import count_errors

TOKEN_IN_URL = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "aiogram": logging.INFO}
QUIET |= {"alembic.runtime.plugins": logging.WARNING, "apscheduler": logging.WARNING}
SQL_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool")


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()):
        # Short values would mask ordinary words; real secrets are long.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return TOKEN_IN_URL.sub("/bot***", text)


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor | None = None):
        super().__init__()
        self.redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        line: dict = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return self.redact(json.dumps(line, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor | None = None):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


def secrets_of(settings: Settings) -> list[str]:
    """The values in the settings that must never appear in a log line."""
    from urllib.parse import urlsplit

    values = []
    for name in (
        "telegram_bot_token",
        "telegram_webhook_secret",
        "zalo_bot_token",
        "zalo_webhook_secret",
        "openai_api_key",
        "secret_key",
    ):
        value = getattr(settings, name, None)
        if value is not None:
            values.append(value.get_secret_value())
    try:
        password = urlsplit(settings.database_url).password
    except ValueError:  # a malformed URL fails later, loudly
        password = None
    if password:
        values.append(str(password))
    return values


def choose_format(setting: str, command: str, stream: TextIO = sys.stderr) -> str:
    """'json' or 'text'. LOG_FORMAT=auto: JSON for the services (run, serve, worker, web)
    when stderr is not a terminal, text otherwise; `hocai chat` always text."""
    if command == "chat":
        return "text"
    if setting in ("json", "text"):
        return setting
    is_tty = hasattr(stream, "isatty") and stream.isatty()
    return "json" if command in ("run", "serve", "worker", "web") and not is_tty else "text"


class _Handler(logging.StreamHandler):
    _hocai = True  # ours: replaced, not doubled, if setup runs again


def setup(settings: Settings, command: str = "", stream: TextIO = sys.stderr) -> str:
    """Configure the root logger once for this process. Returns the format chosen."""
    fmt = choose_format(getattr(settings, "log_format", "auto"), command, stream)
    redact = Redactor(secrets_of(settings))
    handler = _Handler(stream)
    handler.setFormatter(JsonFormatter(redact) if fmt == "json" else TextFormatter(redact))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_hocai", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(max(level, root.level))
    if not settings.sql_echo:
        for name in SQL_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    count_errors(root)
    return fmt
