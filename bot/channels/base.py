"""What every messenger adapter offers the rest of the app."""

from typing import Protocol

from fastapi import APIRouter


class ChannelService(Protocol):
    """A running messenger channel (Telegram, Zalo).

    The runner calls start() once (a polling channel starts its loop there) and stop()
    on shutdown; a webhook channel returns the router the web app mounts.
    """

    name: str

    def webhook_router(self) -> APIRouter | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
