"""Prompt-practice feedback (module M3) by the rubric in prompts/practice_rubric.md.

The model returns JSON: role, task, context, format (true/false), a short comment and one
improved prompt. Anything else (no JSON, a leak, a dose, a link not in the exercise) and
the caller keeps the rule-based feedback of bot/flows/practice.py.
"""

import json
import logging
import re
from dataclasses import dataclass

from bot.flows.practice import PARTS
from bot.tutor import guards
from bot.tutor import prompts as P
from bot.tutor.llm import ChatModel, ModelUnavailable
from lessons.schema import Lesson

log = logging.getLogger("hocai.tutor.grader")

KEYS = ("vai_tro", "viec", "boi_canh", "dinh_dang")
LABEL = "🤖 Nhận xét do AI tạo, hãy kiểm chứng."
MAX_CHARS = 800
MAX_COMMENT, MAX_EXAMPLE = 250, 400
_JSON = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(frozen=True)
class Graded:
    text: str
    parts: tuple[bool, bool, bool, bool]
    model: str


def parse(raw: str) -> dict | None:
    """The rubric's JSON object out of a reply (code fences and chatter tolerated)."""
    m = _JSON.search(raw)
    if not m:
        return None
    try:
        data = json.loads(m.group(0))
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), bool) for k in KEYS):
        return None
    if not isinstance(data.get("nhan_xet"), str) or not isinstance(
        data.get("cau_lenh_tot_hon"), str
    ):
        return None
    return data


def render(data: dict) -> tuple[str, tuple[bool, bool, bool, bool]]:
    parts = tuple(bool(data[k]) for k in KEYS)
    score = sum(parts)
    head = (
        "Tuyệt! Câu lệnh của bạn đủ cả 4 phần."
        if score == 4
        else f"Câu lệnh của bạn có {score}/4 phần."
    )
    lines = [
        f"✅ {name}" if ok else f"❌ {name}: {hint}"
        for (name, hint), ok in zip(PARTS, parts, strict=True)
    ]
    comment = guards.fit(guards.clean(data["nhan_xet"]), MAX_COMMENT)
    example = guards.fit(guards.clean(data["cau_lenh_tot_hon"]), MAX_EXAMPLE)
    text = f"{head}\n\n" + "\n".join(lines)
    if comment:
        text += f"\n\n💬 {comment}"
    tail = f"\n\n{LABEL}"
    if example:
        room = MAX_CHARS - len(text) - len(tail) - len("\n\n✍️ Câu lệnh gợi ý:\n")
        if room > 80:
            text += "\n\n✍️ Câu lệnh gợi ý:\n" + guards.fit(example, room)
    return guards.fit(text, MAX_CHARS - len(tail)) + tail, parts  # type: ignore[return-value]


class Grader:
    def __init__(self, model: ChatModel, prompts: P.Prompts):
        self.model = model
        self.prompts = prompts

    def messages(self, lesson: Lesson, prompt: str) -> tuple[str, str]:
        task = lesson.practice.task if lesson.practice else ""
        example = lesson.practice.example if lesson.practice else ""
        user = P.fill(
            self.prompts.practice_question,
            task=task,
            example=example,
            prompt=P.as_content(prompt),
        )
        return self.prompts.practice_rubric, user

    async def grade(self, lesson: Lesson, prompt: str) -> Graded | None:
        system, user = self.messages(lesson, prompt)
        try:
            done = await self.model.complete(system, user)
        except ModelUnavailable:
            return None
        data = parse(done.text)
        if data is None:
            log.warning("practice grade dropped reason=not_json model=%s", done.model)
            return None
        said = data["nhan_xet"] + "\n" + data["cau_lenh_tot_hon"]
        reason = guards.check_output(
            said,
            system_prompt=self.prompts.practice_rubric,
            sources=user,
            canaries=self.prompts.canaries(),
        )
        if reason:
            log.warning("practice grade dropped reason=%s model=%s", reason, done.model)
            return None
        text, parts = render(data)
        return Graded(text, parts, done.model)
