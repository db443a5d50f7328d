"""Dialogue-transcript helper: tests read as 'learner says X, tutor replies Y'."""

import uuid

from bot.engine import Engine
from bot.messages import Inbound, Outbound
from lessons.loader import Catalog


class Chat:
    def __init__(
        self,
        tutor: Engine,
        catalog: Catalog,
        user_id: str = "1001",
        channel: str = "test",
        name: str | None = "Chị Lan",
    ):
        self.tutor, self.catalog = tutor, catalog
        self.user_id, self.channel, self.name = user_id, channel, name
        self.replies: list[Outbound] = []

    # --- the learner's side ----------------------------------------------------------

    async def send(self, inbound: Inbound) -> list[Outbound]:
        self.replies = await self.tutor.handle(inbound)
        return self.replies

    async def say(self, text: str, update_id: str | None = None) -> list[Outbound]:
        return await self.send(
            Inbound(
                self.channel,
                self.user_id,
                text=text,
                update_id=update_id or uuid.uuid4().hex,
                display_name=self.name,
            )
        )

    async def press(self, action: str, update_id: str | None = None) -> list[Outbound]:
        """Send a raw button payload, as a channel would on a button press."""
        return await self.send(
            Inbound(
                self.channel,
                self.user_id,
                action=action,
                update_id=update_id or uuid.uuid4().hex,
                display_name=self.name,
            )
        )

    async def tap(self, label: str) -> list[Outbound]:
        """Press the button whose label starts with `label` in the last replies."""
        return await self.press(self.action_of(label))

    def action_of(self, label: str) -> str:
        for message in reversed(self.replies):
            for choice in message.choices:
                if choice.label.startswith(label):
                    return choice.action
        raise AssertionError(f"no button {label!r}; buttons are {self.labels}")

    # --- what the tutor said ---------------------------------------------------------

    @property
    def text(self) -> str:
        return "\n\n".join(m.text for m in self.replies)

    @property
    def labels(self) -> list[str]:
        return [c.label for m in self.replies for c in m.choices]

    def expect(self, *fragments: str) -> None:
        for fragment in fragments:
            assert fragment in self.text, f"expected {fragment!r} in:\n{self.text}"

    def expect_not(self, *fragments: str) -> None:
        for fragment in fragments:
            assert fragment not in self.text, f"did not expect {fragment!r} in:\n{self.text}"

    # --- short-hands for longer stories ----------------------------------------------

    async def onboard(self, group: str = "Người dân", commune: str = "tan cuong") -> None:
        await self.say("/start")
        await self.tap("Đồng ý")
        await self.tap(group)
        await self.say(commune)
        await self.press(self.replies[-1].choices[0].action)
        if any(c.label == "Bỏ qua" for c in self.replies[-1].choices):
            await self.tap("Bỏ qua")

    def current_question(self):
        quiz = next(m for m in reversed(self.replies) if m.kind == "quiz")
        lesson, qid = self.catalog.lessons[quiz.meta["lesson"]], quiz.meta["question"]
        if quiz.meta.get("pool") == "exam":  # the final assessment's own bank
            return quiz, lesson, self.catalog.exam_question(lesson.id, qid)
        return quiz, lesson, lesson.question(qid)

    async def answer(self, right: bool = True) -> list[Outbound]:
        """Pick the correct option (or a wrong one) of the question on screen, by letter."""
        quiz, _lesson, question = self.current_question()
        wanted = question.options[question.correct_index].text
        for line in quiz.text.splitlines():
            letter, _, option_text = line.partition(". ")
            if len(letter) == 1 and (option_text == wanted) == right:
                return await self.tap(letter)
        raise AssertionError("option not found on screen")

    async def read_lesson(self) -> None:
        """Press 'Tiếp' through the cards up to the first question."""
        while not any(m.kind == "quiz" for m in self.replies):
            await self.tap("Tiếp" if "Tiếp ▶" in self.labels else "Làm câu hỏi")

    async def finish_quiz(self, wrong: int = 0) -> None:
        n = 0
        while any(m.kind == "quiz" for m in self.replies[-1:]):
            await self.answer(right=n >= wrong)
            n += 1
