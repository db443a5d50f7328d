"""The prompt files in prompts/, read once at start-up and filled in one pass."""

import re
from dataclasses import dataclass
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent.parent.parent / "prompts"
FILES = {
    "tutor_system": (),
    "tutor_question": ("passages", "question"),
    "practice_rubric": (),
    "practice_question": ("task", "example", "prompt"),
}
_SLOT = re.compile(r"\{(\w+)\}")
_CANARY = re.compile(r"\bhocai-[a-z]+-v\d+\b")


class PromptError(Exception):
    pass


@dataclass(frozen=True)
class Prompts:
    tutor_system: str
    tutor_question: str
    practice_rubric: str
    practice_question: str

    def canaries(self) -> list[str]:
        """Marker words in the system prompts; an answer that contains one leaked them."""
        return _CANARY.findall(self.tutor_system + "\n" + self.practice_rubric)


def default_dir() -> Path:
    """prompts/ beside the code (a checkout), else ./prompts (an installed package run
    from the project folder, as in the Dockerfile)."""
    return PROMPTS_DIR if PROMPTS_DIR.is_dir() else Path.cwd() / "prompts"


def load(folder: Path | None = None) -> Prompts:
    folder = Path(folder or default_dir())
    texts = {}
    for name, slots in FILES.items():
        path = folder / f"{name}.md"
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise PromptError(f"{path}: cannot read ({e.strerror})") from e
        if not text:
            raise PromptError(f"{path}: empty")
        missing = [s for s in slots if "{" + s + "}" not in text]
        if missing:
            raise PromptError(f"{path}: missing placeholder(s) {', '.join(missing)}")
        texts[name] = text
    return Prompts(**texts)


def fill(template: str, **values: str) -> str:
    """Replace {name} placeholders in one pass; unknown braces are left as they are, and
    text inserted from a value is never expanded again."""
    return _SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def as_content(text: str) -> str:
    """Learner text made safe to put between tags: it cannot close or open one."""
    return text.replace("<", "‹").replace(">", "›")
