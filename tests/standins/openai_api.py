"""A local stand-in of an OpenAI-compatible chat API: an aiohttp server on 127.0.0.1 that
the real openai client (through langchain-openai's ChatOpenAI) talks to over HTTP.

It implements POST /v1/chat/completions (non-streaming), records every request (headers
and JSON body), and answers as told: a canned reply (or a function of the request), a
delay (to run past the client's timeout), or an HTTP error status such as 500.
"""

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

API_KEY = "sk-test-stand-in"
MODEL = "stand-in-1"


@dataclass
class Request:
    path: str
    headers: dict
    body: dict
    at: float = field(default_factory=time.monotonic)

    @property
    def messages(self) -> list[dict]:
        return self.body.get("messages", [])

    def content(self, role: str) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages if m.get("role") == role)

    @property
    def text(self) -> str:
        """Everything the client sent, for 'is X in the request' checks."""
        return json.dumps(self.body, ensure_ascii=False)


class OpenAIStandIn:
    def __init__(self):
        self.requests: list[Request] = []
        self.reply: str | Callable[[Request], str] = "Mình trả lời theo bài học."
        self.delay: float = 0.0
        self.status: int = 200
        self.gate: asyncio.Event | None = None  # when set, replies wait for it
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # --- what the next calls do --------------------------------------------------------

    def answer(self, reply: str | Callable[[Request], str]) -> None:
        self.reply, self.delay, self.status = reply, 0.0, 200

    def sleep(self, seconds: float) -> None:
        self.delay = seconds

    def fail(self, status: int = 500) -> None:
        self.status = status

    # --- server -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = Request(request.path, dict(request.headers), body)
        self.requests.append(call)
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return _error(401, "invalid_api_key", "Incorrect API key provided.")
        if not isinstance(body.get("messages"), list) or not body.get("model"):
            return _error(400, "invalid_request_error", "messages and model are required")
        if body.get("stream"):
            return _error(400, "invalid_request_error", "the stand-in does not stream")
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.gate is not None:
            await self.gate.wait()
        if self.status != 200:
            return _error(self.status, "server_error", "The server had an error.")
        content = self.reply(call) if callable(self.reply) else self.reply
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        return web.json_response(
            {
                "id": f"chatcmpl-standin-{next(self._ids)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(content.split()),
                    "total_tokens": prompt_tokens + len(content.split()),
                },
            }
        )


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": code, "code": code, "param": None}},
        status=status,
    )
