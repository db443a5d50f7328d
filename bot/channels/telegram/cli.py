"""`hocai telegram set-webhook URL | delete-webhook | info`."""

import re
import secrets
import sys
from urllib.parse import urlparse

from aiogram.exceptions import TelegramAPIError

from bot.channels.telegram.client import make_bot
from bot.channels.telegram.constants import (
    ALLOWED_UPDATES,
    MAX_WEBHOOK_SECRET_CHARS,
    WEBHOOK_MAX_CONNECTIONS,
    WEBHOOK_PATH,
)
from bot.config import Settings

SECRET_CHARS = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_WEBHOOK_SECRET_CHARS}}}")


async def main(args, settings: Settings) -> int:
    if not settings.telegram_bot_token:
        print("error: TELEGRAM_BOT_TOKEN is not set (environment or .env)", file=sys.stderr)
        return 2
    bot = make_bot(settings)
    try:
        if args.what == "set-webhook":
            return await _set_webhook(bot, args.url, settings)
        if args.what == "delete-webhook":
            await bot.delete_webhook(drop_pending_updates=False)
            print("Webhook removed: TELEGRAM_MODE=polling works again.")
            return 0
        return await _info(bot, settings)
    except TelegramAPIError as e:
        print(f"error: Telegram answered: {e.message}", file=sys.stderr)
        return 1
    finally:
        await bot.session.close()


async def _set_webhook(bot, url: str, settings: Settings) -> int:
    configured = settings.telegram_webhook_secret
    secret = configured.get_secret_value() if configured else ""
    generated = not secret
    if generated:
        secret = secrets.token_urlsafe(32)  # 43 characters, all allowed by Telegram
    elif not SECRET_CHARS.fullmatch(secret):
        print(
            "error: TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -",
            file=sys.stderr,
        )
        return 2
    if not urlparse(url).path.rstrip("/").endswith(WEBHOOK_PATH):
        print(
            f"warning: the web app serves the webhook at {WEBHOOK_PATH}; "
            "make sure your proxy forwards this URL there",
            file=sys.stderr,
        )
    await bot.set_webhook(
        url,
        secret_token=secret,
        allowed_updates=ALLOWED_UPDATES,
        max_connections=WEBHOOK_MAX_CONNECTIONS,
        drop_pending_updates=False,
    )
    print(f"Webhook set: {url}")
    if generated:
        print(
            "No TELEGRAM_WEBHOOK_SECRET was configured, so one was generated.\n"
            "Add these lines to .env, then start `hocai run`:\n\n"
            f"TELEGRAM_MODE=webhook\nTELEGRAM_WEBHOOK_SECRET={secret}"
        )
    return 0


async def _info(bot, settings: Settings) -> int:
    me = await bot.get_me()
    hook = await bot.get_webhook_info()
    print(f"bot: @{me.username} (id {me.id})")
    print(f"api: {settings.telegram_api_base}")
    print(f"webhook: {hook.url or '(none: polling mode)'}")
    print(f"pending updates: {hook.pending_update_count}")
    if hook.last_error_message:
        print(f"last delivery error: {hook.last_error_message} ({hook.last_error_date})")
    return 0
