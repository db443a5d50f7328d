"""`hocai zalo set-webhook URL | delete-webhook | info`."""

import secrets
import sys
from datetime import UTC, datetime
from urllib.parse import urlparse

from bot.channels.zalo.client import Retry, ZaloClient, ZaloError
from bot.channels.zalo.constants import (
    MAX_WEBHOOK_SECRET_CHARS,
    MIN_WEBHOOK_SECRET_CHARS,
    WEBHOOK_PATH,
    WEBHOOK_SCHEME,
)
from bot.config import Settings

GENERATED_SECRET_BYTES = 32  # token_urlsafe(32): 43 characters, within 8-256
CLI_RETRY = Retry(attempts=3)  # a person is waiting: give up sooner than the bot does


def _err(text: str) -> None:
    print(f"error: {text}", file=sys.stderr)


async def main(args, settings: Settings) -> int:
    if settings.zalo_bot_token is None:
        _err("ZALO_BOT_TOKEN is not set (environment or .env)")
        return 2
    client = ZaloClient(
        settings.zalo_bot_token.get_secret_value(), settings.zalo_api_base, CLI_RETRY
    )
    try:
        if args.what == "set-webhook":
            return await _set_webhook(client, args.url, settings)
        if args.what == "delete-webhook":
            await client.delete_webhook()
            print("Webhook removed: ZALO_MODE=polling works again.")
            return 0
        return await _info(client)
    except ZaloError as e:
        if e.unauthorized:
            _err("Zalo answered 401 Unauthorized: ZALO_BOT_TOKEN is wrong or revoked")
        elif e.code is None:
            _err(f"could not reach {client.api_base} ({e.description})")
        else:
            _err(f"Zalo answered {e.code}: {e.description}")
        return 1
    finally:
        await client.close()


async def _set_webhook(client: ZaloClient, url: str, settings: Settings) -> int:
    parsed = urlparse(url)
    if parsed.scheme != WEBHOOK_SCHEME or not parsed.netloc:
        _err(f"Zalo delivers webhooks to HTTPS URLs only: {url!r}")
        return 2
    configured = settings.zalo_webhook_secret
    secret = configured.get_secret_value() if configured else ""
    generated = not secret
    if generated:
        secret = secrets.token_urlsafe(GENERATED_SECRET_BYTES)
    elif not MIN_WEBHOOK_SECRET_CHARS <= len(secret) <= MAX_WEBHOOK_SECRET_CHARS:
        _err(
            f"ZALO_WEBHOOK_SECRET must be {MIN_WEBHOOK_SECRET_CHARS}-"
            f"{MAX_WEBHOOK_SECRET_CHARS} characters"
        )
        return 2
    if not parsed.path.rstrip("/").endswith(WEBHOOK_PATH):
        print(
            f"warning: the web app serves the webhook at {WEBHOOK_PATH}; "
            "make sure your proxy forwards this URL there",
            file=sys.stderr,
        )
    await client.set_webhook(url, secret)
    print(f"Webhook set: {url}")
    if generated:
        print(
            "No ZALO_WEBHOOK_SECRET was configured, so one was generated.\n"
            "Add these lines to .env, then start `hocai run`:\n\n"
            f"ZALO_MODE=webhook\nZALO_WEBHOOK_SECRET={secret}"
        )
    elif settings.zalo_mode != "webhook":
        print("Set ZALO_MODE=webhook in .env, then start `hocai run`.")
    return 0


def _when(ms: object) -> str:
    if not isinstance(ms, int | float) or ms <= 0:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def _info(client: ZaloClient) -> int:
    me = await client.get_me() or {}
    hook = await client.get_webhook_info() or {}
    print(f"bot: {me.get('account_name') or '-'} (id {me.get('id') or '-'})")
    print(f"api: {client.api_base}")
    print(f"webhook: {hook.get('url') or '(none: polling mode)'}")
    print(f"webhook updated: {_when(hook.get('updated_at'))}")
    return 0
