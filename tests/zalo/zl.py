"""A Zalo user in a private chat with the bot. They act by sending real event JSON (to the
webhook, or through the stand-in's getUpdates) and read what the stand-in received."""

import asyncio
import re
import time
from collections.abc import Awaitable, Callable

from bot.channels.zalo.constants import EVENT_IMAGE, EVENT_STICKER, EVENT_UNSUPPORTED
from lessons.loader import Catalog
from tests.standins.zalo_api import ZaloStandIn, event, wrap

Deliver = Callable[[dict], Awaitable[None]]
SECRET_HEADER = "X-Bot-Api-Secret-Token"
LETTERS = "ABCD"
OPTION = re.compile(r"^(\d+)\. (.+)$")


def webhook_delivery(client, secret: str, wrapped: bool = True) -> Deliver:
    """POST the event to the app's webhook, wrapped in {ok, result} as Zalo does."""

    async def deliver(flat: dict) -> None:
        body = wrap(flat) if wrapped else flat
        response = await client.post("/zalo/webhook", json=body, headers={SECRET_HEADER: secret})
        assert response.status_code == 200, response.text

    return deliver


def polling_delivery(api: ZaloStandIn, service) -> Deliver:
    """Queue the event, wait until the bot fetched it and polls again, then until the
    bot has handled everything it fetched."""

    async def deliver(flat: dict) -> None:
        api.push(flat)
        mid = flat["message"]["message_id"]

        def fetched_and_polling_again() -> bool:
            if mid not in api.handed_out:
                return False
            after = api.calls[api.handed_out[mid] + 1 :]
            return any(c.method == "getUpdates" for c in after)

        await wait_for(fetched_and_polling_again, "event fetched")
        await service.events.idle()

    return deliver


async def wait_for(condition: Callable[[], bool], what: str, limit: float = 15.0) -> None:
    """Wait until condition() holds; the limit only keeps a broken test from hanging."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        await asyncio.sleep(0.01)


class ZaloLearner:
    def __init__(
        self,
        api: ZaloStandIn,
        deliver: Deliver,
        catalog: Catalog,
        chat_id: str = "e4ea2cd5189df1c3a88c",
        display_name: str = "Lan Nguyễn",
    ):
        self.api, self.deliver, self.catalog = api, deliver, catalog
        self.chat_id, self.display_name = chat_id, display_name
        self.mark = 0  # api.sent index where the last action began
        self.call_mark = 0  # api.calls index where the last action began
        self.last_options: list[str] = []

    # --- the learner's side ----------------------------------------------------------

    async def send(self, flat: dict) -> str:
        self.mark, self.call_mark = len(self.api.sent), len(self.api.calls)
        await self.deliver(flat)
        if self.options:  # like the engine, the last offered choices stay until new ones
            self.last_options = self.options
        return flat["message"]["message_id"]

    def event(self, name: str = "message.text.received", **kw) -> dict:
        return event(self.chat_id, name, display_name=self.display_name, **kw)

    async def say(self, text: str, msg_id: str | None = None) -> str:
        return await self.send(self.event(text=text, msg_id=msg_id))

    async def sticker(self) -> str:
        return await self.send(self.event(EVENT_STICKER, sticker="0e078a2fb66a5f34067b"))

    async def image(self) -> str:
        return await self.send(self.event(EVENT_IMAGE, photo_url="https://zalo.test/p.jpg"))

    async def unsupported(self) -> str:
        return await self.send(self.event(EVENT_UNSUPPORTED))

    async def choose(self, label: str, style: str = "{n}") -> None:
        """Type the number of the option whose label starts with `label`."""
        await self.say(style.format(n=self.number(label)))

    # --- what the learner saw --------------------------------------------------------

    @property
    def sent(self) -> list[str]:
        return self.api.texts(self.chat_id, self.mark)

    @property
    def calls(self):
        return self.api.calls[self.call_mark :]

    @property
    def text(self) -> str:
        return "\n\n".join(self.sent)

    def expect(self, *fragments: str) -> None:
        for fragment in fragments:
            assert fragment in self.text, f"expected {fragment!r} in:\n{self.text}"

    def expect_not(self, *fragments: str) -> None:
        for fragment in fragments:
            assert fragment not in self.text, f"did not expect {fragment!r} in:\n{self.text}"

    @property
    def options(self) -> list[str]:
        """The numbered options at the end of the newest message."""
        lines = self.sent[-1].splitlines() if self.sent else []
        found = [m.group(2) for line in lines if (m := OPTION.match(line))]
        return found

    def number(self, label: str) -> int:
        for i, option in enumerate(self.last_options, 1):
            if option.startswith(label):
                return i
        raise AssertionError(f"no option {label!r}; options are {self.last_options}")

    # --- the quiz --------------------------------------------------------------------

    def question_text(self) -> str | None:
        for text in reversed(self.sent):
            if "Câu " in text and "\nA. " in text:
                return text
        return None

    def letter(self, right: bool = True) -> str:
        """The letter of the right (or a wrong) option of the question on screen."""
        text = self.question_text()
        assert text is not None, f"no question on screen:\n{self.text}"
        questions = [q for lesson in self.catalog.lessons.values() for q in lesson.quiz]
        questions += [q for bank in self.catalog.exam.values() for q in bank]
        question = max((q for q in questions if q.question in text), key=lambda q: len(q.question))
        wanted = question.options[question.correct_index].text
        for line in text.splitlines():
            letter, _, option = line.partition(". ")
            if len(letter) == 1 and (option == wanted) == right:
                return letter
        raise AssertionError(f"option not found in:\n{text}")

    async def answer(self, right: bool = True, style: str = "{letter}") -> str:
        letter = self.letter(right)
        await self.say(style.format(letter=letter, n=LETTERS.index(letter) + 1))
        return letter

    async def read_lesson(self) -> None:
        while self.question_text() is None:
            nxt = "Tiếp" if any(o.startswith("Tiếp") for o in self.last_options) else "Làm"
            await self.choose(nxt)

    async def onboard(self) -> None:
        await self.say("Xin chào")
        await self.choose("Đồng ý")
        await self.choose("Người dân")
        await self.say("tan cuong")
        await self.choose("Xã Tân Cương")
        await self.choose("Bỏ qua")
