"""The platform stand-ins (tests/standins/) as fixtures: each test gets its own server on
an ephemeral port, stopped after the test. `running` does the same for a block of code or
for a stand-in subclass."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar

import pytest

from tests.standins.openai_api import OpenAIStandIn
from tests.standins.telegram_api import TelegramStandIn
from tests.standins.zalo_api import ZaloStandIn
from tests.standins.zalo_oa_api import ZaloOAStandIn


class StandIn(Protocol):
    async def start(self) -> object: ...
    async def stop(self) -> None: ...


S = TypeVar("S", bound=StandIn)


@asynccontextmanager
async def running(standin: S) -> AsyncIterator[S]:
    await standin.start()
    try:
        yield standin
    finally:
        await standin.stop()


@pytest.fixture
async def telegram_api() -> AsyncIterator[TelegramStandIn]:
    async with running(TelegramStandIn()) as api:
        yield api


@pytest.fixture
async def zalo_api() -> AsyncIterator[ZaloStandIn]:
    async with running(ZaloStandIn()) as api:
        yield api


@pytest.fixture
async def zalo_oa_api() -> AsyncIterator[ZaloOAStandIn]:
    async with running(ZaloOAStandIn()) as api:
        yield api


@pytest.fixture
async def openai_api() -> AsyncIterator[OpenAIStandIn]:
    async with running(OpenAIStandIn()) as api:
        yield api
