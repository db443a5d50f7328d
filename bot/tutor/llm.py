"""The chat model: langchain's ChatOpenAI against any OpenAI-compatible endpoint.

One call per question, no retries (a retry would only double the wait), and a hard
deadline: past it the caller gives the offline answer. Errors are logged by type only,
never with the learner's text, and never reach the learner.
"""

import asyncio
import logging
import time
from dataclasses import dataclass

log = logging.getLogger("hocai.tutor.llm")


class ModelUnavailable(Exception):
    """The model did not answer in time, or answered with an error."""


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    latency_ms: int


class ChatModel:
    def __init__(
        self,
        model: str,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 20.0,
        max_tokens: int = 500,
        temperature: float = 0.2,
    ):
        # Imported here, not at the top: langchain-openai takes over a second to import,
        # and most processes (`hocai chat`, the CLI, no OPENAI_API_KEY) never build a
        # model (docs/PERFORMANCE.md, cold start).
        from langchain_openai import ChatOpenAI

        self.name = model
        self.timeout = timeout
        self.client = ChatOpenAI(
            model=model,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=0,
            max_tokens=max_tokens,
            temperature=temperature,
        )

    async def complete(self, system: str, user: str) -> Completion:
        """The model's reply to one system + one user message; ModelUnavailable on a
        timeout or any provider error."""
        from langchain_core.messages import HumanMessage, SystemMessage

        started = time.perf_counter()
        try:
            reply = await asyncio.wait_for(
                self.client.ainvoke([SystemMessage(system), HumanMessage(user)]),
                timeout=self.timeout,
            )
        except TimeoutError as e:
            log.warning("model timeout after %.1fs model=%s", self.timeout, self.name)
            raise ModelUnavailable("timeout") from e
        except Exception as e:  # noqa: BLE001  (any provider error means: answer offline)
            log.warning("model error %s model=%s", type(e).__name__, self.name)
            raise ModelUnavailable(type(e).__name__) from e
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        ms = int((time.perf_counter() - started) * 1000)
        return Completion(text, reply.response_metadata.get("model_name") or self.name, ms)
