"""What every messenger adapter offers the rest of the app."""

from dataclasses import dataclass
from typing import Literal, Protocol

from fastapi import APIRouter

from bot.messages import Outbound


class ChannelService(Protocol):
    """A running messenger channel (Telegram, Zalo).

    The runner calls start() once (a polling channel starts its loop there) and stop()
    on shutdown; a webhook channel returns the router the web app mounts.
    """

    name: str

    def webhook_router(self) -> APIRouter | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """What happened to one outbox message on its channel."""

    # retry: 429, send later; failed: transient, back off; rejected: the platform refused
    # this message for good (400), do not retry
    status: Literal["sent", "blocked", "retry", "failed", "rejected"]
    retry_after: float = 0.0  # seconds the whole channel must wait (429)
    error: str = ""


class Sender(Protocol):
    """Sends queued messages (reminders, broadcasts) for the dispatcher.

    deliver() makes one attempt and reports: it must not wait out a 429 itself, because
    the dispatcher pauses the whole channel and reschedules the message.
    """

    name: str

    async def deliver(self, user_id: str, messages: list[Outbound]) -> Delivery: ...
