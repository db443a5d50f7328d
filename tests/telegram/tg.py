"""A Telegram user in a private chat with the bot. They act by sending real Update JSON
(to the webhook, or through the stand-in's getUpdates) and see what the stand-in got."""

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx

from lessons.loader import Catalog
from tests.standins.telegram_api import TelegramStandIn

Deliver = Callable[[dict], Awaitable[object]]  # a webhook returns its answer
_message_ids = itertools.count(1)


def webhook_delivery(client, secret: str) -> Deliver:
    """Post the update; the answer goes back to TgChat, which has the stand-in run the
    method call it may carry, as Telegram does."""

    async def deliver(update: dict) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        response = await client.post("/telegram/webhook", json=update, headers=headers)
        assert response.status_code == 200, response.text
        return response

    return deliver


def polling_delivery(api: TelegramStandIn) -> Deliver:
    """Queue the update and wait until the bot confirms it (its next getUpdates offset)."""

    async def deliver(update: dict) -> None:
        api.push_update(update)
        await wait_for(lambda: confirmed(api, update["update_id"]), "update confirmed")

    return deliver


def confirmed(api: TelegramStandIn, update_id: int) -> bool:
    return any(
        isinstance(c.params.get("offset"), int) and c.params["offset"] > update_id
        for c in api.called("getUpdates")
    )


async def wait_for(condition: Callable[[], bool], what: str, limit: float = 15.0) -> None:
    """Wait until condition() holds; a generous limit only so a broken test cannot hang."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        await asyncio.sleep(0.01)


class TgChat:
    def __init__(
        self,
        api: TelegramStandIn,
        deliver: Deliver,
        catalog: Catalog,
        chat_id: int = 7001,
        first_name: str = "Lan",
        last_name: str | None = "Nguyễn",
    ):
        self.api, self.deliver, self.catalog = api, deliver, catalog
        self.chat_id, self.first_name, self.last_name = chat_id, first_name, last_name
        self.mark = 0  # api.calls index where the last action began

    # --- the learner's side ----------------------------------------------------------

    @property
    def user(self) -> dict:
        user = {"id": self.chat_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        return {**user, "language_code": "vi"}

    def message_update(self, **content) -> dict:
        chat = {"id": self.chat_id, "type": "private", "first_name": self.first_name}
        message = {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user,
            **content,
        }
        text = content.get("text", "")
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": self.api.next_update_id(), "message": message}

    def callback_update(self, message: dict, data: str) -> dict:
        query = {
            "id": uuid.uuid4().hex,
            "from": self.user,
            "chat_instance": f"ci{self.chat_id}",
            "message": message,
            "data": data,
        }
        return {"update_id": self.api.next_update_id(), "callback_query": query}

    async def send(self, update: dict) -> None:
        self.mark = len(self.api.calls)
        response = await self.deliver(update)
        if isinstance(response, httpx.Response):  # a webhook's answer
            kind = response.headers.get("content-type", "")
            await self.api.webhook_answer(response.status_code, kind, response.content)

    async def say(self, text: str) -> None:
        await self.send(self.message_update(text=text))

    async def press(self, label: str) -> None:
        """Press the newest button whose text starts with `label`."""
        message, data = self.button(label)
        await self.send(self.callback_update(message, data))

    def button(self, label: str) -> tuple[dict, str]:
        for message in reversed(self.api.chat(self.chat_id)):
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for b in row:
                    if b["text"].startswith(label):
                        return message, b["callback_data"]
        raise AssertionError(f"no button {label!r}; buttons are {self.labels}")

    # --- what the learner saw --------------------------------------------------------

    @property
    def calls(self):
        """Calls to this chat since the last action began."""
        return [c for c in self.api.calls[self.mark :] if c.params.get("chat_id") == self.chat_id]

    @property
    def sent(self) -> list[str]:
        return [c.params["text"] for c in self.calls if c.method == "sendMessage" and c.ok]

    @property
    def text(self) -> str:
        return "\n\n".join(self.sent)

    def expect(self, *fragments: str) -> None:
        for fragment in fragments:
            assert fragment in self.text, f"expected {fragment!r} in:\n{self.text}"

    def keyboard_message(self) -> dict | None:
        for message in reversed(self.api.chat(self.chat_id)):
            if message.get("reply_markup"):
                return message
        return None

    @property
    def labels(self) -> list[str]:
        message = self.keyboard_message()
        rows = message["reply_markup"]["inline_keyboard"] if message else []
        return [b["text"] for row in rows for b in row]

    # --- short-hands -----------------------------------------------------------------

    async def onboard(self, group: str = "Người dân", commune: str = "tan cuong") -> None:
        await self.say("/start")
        await self.press("Đồng ý")
        await self.press(group)
        await self.say(commune)
        await self.press(self.labels[0])
        if "Bỏ qua" in self.labels:
            await self.press("Bỏ qua")

    def quiz_message(self) -> dict | None:
        """The question on screen: the newest message whose buttons are option letters."""
        message = self.keyboard_message()
        if message and all(len(label) == 1 for label in self.labels):
            return message
        return None

    async def read_lesson(self) -> None:
        while self.quiz_message() is None:
            await self.press("Tiếp" if any(x.startswith("Tiếp") for x in self.labels) else "Làm")

    async def answer(self, right: bool = True) -> dict:
        """Press the right (or a wrong) letter; returns the question message pressed."""
        message = self.quiz_message()
        assert message is not None, "no question on screen"
        text = message["text"]
        questions = [q for lesson in self.catalog.lessons.values() for q in lesson.quiz]
        questions += [q for bank in self.catalog.exam.values() for q in bank]
        question = max((q for q in questions if q.question in text), key=lambda q: len(q.question))
        wanted = question.options[question.correct_index].text
        for line in text.splitlines():
            letter, _, option = line.partition(". ")
            if len(letter) == 1 and (option == wanted) == right:
                await self.press(letter)
                return message
        raise AssertionError(f"option not found in:\n{text}")
