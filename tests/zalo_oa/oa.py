"""A Zalo user chatting with the OA: they write and tap buttons by sending signed event
JSON to the app's webhook (as Zalo does), and read what the stand-in delivered."""

import re

from lessons.loader import Catalog
from tests.standins.zalo_oa_api import ZaloOAStandIn
from tests.zalo.zl import ZaloLearner

OPTION = re.compile(r"^(\d+)\. (.+)$")


class OALearner:
    def __init__(
        self, api: ZaloOAStandIn, client, catalog: Catalog, user_id: str = "8123456789012345678"
    ):
        self.api, self.client, self.catalog, self.user_id = api, client, catalog, user_id
        self.mark = 0
        self.buttons: list[tuple[str, str]] = []  # the newest buttons seen: (title, payload)
        self.numbered: dict[str, str] = {}  # label -> number, of the newest numbered list

    async def send(self, body: dict) -> None:
        self.mark = len(self.api.sent)
        response = await self.api.post(self.client, body)
        assert response.status_code == 200, response.text
        for m in self.messages:
            buttons = ((m.get("attachment") or {}).get("payload") or {}).get("buttons")
            if buttons:
                self.buttons = [(b["title"], b["payload"]) for b in buttons]
            lines = (m.get("text") or "").splitlines()
            found = {mm.group(2): mm.group(1) for ln in lines if (mm := OPTION.match(ln))}
            if found:
                self.numbered = found

    async def say(self, text: str, **extra) -> None:
        await self.send(self.api.event("user_send_text", self.user_id, text=text, **extra))

    async def event(self, name: str, **extra) -> None:
        await self.send(self.api.event(name, self.user_id, **extra))

    async def tap(self, label: str) -> None:
        """Tap the button titled `label` (or numbered for it); type the number where
        the message came without buttons."""
        for title, data in self.buttons:
            if title.startswith(label):
                return await self.say(data)
        number = next((n for lab, n in self.numbered.items() if lab.startswith(label)), None)
        assert number is not None, f"no option {label!r}: {self.buttons} {self.numbered}"
        for title, data in self.buttons:
            if title == number:
                return await self.say(data)
        await self.say(number)

    # --- what the learner saw --------------------------------------------------------

    @property
    def messages(self) -> list[dict]:
        return self.api.to(self.user_id, self.mark)

    @property
    def sent(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("text")]

    @property
    def text(self) -> str:
        return "\n\n".join(self.sent)

    @property
    def titles(self) -> list[str]:
        return [t for t, _ in self.buttons]

    def expect(self, *fragments: str) -> None:
        for fragment in fragments:
            assert fragment in self.text, f"expected {fragment!r} in:\n{self.text}"

    def question_text(self) -> str | None:
        return next((t for t in reversed(self.sent) if "Câu " in t and "\nA. " in t), None)

    letter = ZaloLearner.letter  # the same quiz on screen, read the same way

    async def answer(self, right: bool = True) -> str:
        letter = self.letter(right)
        await self.tap(letter)
        return letter

    choose = tap
    onboard = ZaloLearner.onboard  # the same steps, chosen by buttons here
