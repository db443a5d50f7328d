"""Outbox delivery on Zalo (reminders, broadcasts): one attempt, the outcome reported to
the dispatcher (bot.channels.base.Sender).

Unlike replies (the client waits out a 429 itself), a queued message hands a 429 back so
the dispatcher pauses the whole channel and reschedules it. Zalo sends no retry_after,
so the pause is QUOTA_PAUSE_SECONDS. No Zalo error is known to mean "the user blocked
the bot", so nothing is reported as blocked.
"""

from bot.channels.base import Delivery
from bot.channels.zalo.client import NO_RETRY, ZaloClient, ZaloError
from bot.channels.zalo.constants import ERROR_QUOTA_EXCEEDED, QUOTA_PAUSE_SECONDS
from bot.channels.zalo.render import render
from bot.messages import Outbound


async def deliver(
    client: ZaloClient,
    user_id: str,
    messages: list[Outbound],
    quota_pause: float = QUOTA_PAUSE_SECONDS,
) -> Delivery:
    try:
        for message in messages:
            for part in render(message):
                if part.photo:
                    await client.send_photo(user_id, part.photo, part.text, retry=NO_RETRY)
                else:
                    await client.send_message(user_id, part.text, retry=NO_RETRY)
    except ZaloError as e:
        error = f"{e.code or 'network'} {e.description}"[:200]
        if e.code == ERROR_QUOTA_EXCEEDED:
            return Delivery("retry", retry_after=quota_pause, error=error)
        if e.retryable or e.unauthorized:  # network, 5xx, a token to fix: back off
            return Delivery("failed", error=error)
        return Delivery("rejected", error=error)  # the platform refused this message
    return Delivery("sent")
