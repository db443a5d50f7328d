"""`hocai ask` for scripts, and the prompt files."""

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from bot.tutor import prompts as P
from tests.standins.openai_api import API_KEY, MODEL

ROOT = Path(__file__).resolve().parents[2]


async def hocai_ask(*args: str, **env: str) -> tuple[int, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLM_"))}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "ask",
        *args,
        cwd=ROOT,
        env={**base, "OPENAI_API_KEY": "", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_hocai_ask_offline_prints_the_answer_and_its_lessons():
    code, out = await hocai_ask("co nguoi goi video gia giong chau toi xin tien")
    assert code == 0
    assert "bài 4." in out and "[offline/" in out and "] lessons: m4-" in out


async def test_hocai_ask_json_lists_the_did_you_mean_lessons():
    code, out = await hocai_ask("AI nói sai thì sao", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["category"], data["lesson_id"]) == ("choices", None)
    assert 2 <= len(data["lesson_ids"]) <= 3 and data["text"].startswith("Mình chưa chắc")
    code, out = await hocai_ask("mã QR trên gói chè để làm gì", "--json")  # an FAQ entry
    data = json.loads(out)
    assert (data["category"], data["lesson_ids"]) == ("faq", ["m8-5"])


async def test_hocai_ask_json_with_a_model(standin):
    standin.answer("Bạn hãy DỪNG lại, GỌI LẠI số quen và KHÔNG CHUYỂN tiền nhé.")
    code, out = await hocai_ask(
        "sếp gọi bảo chuyển khoản ngay cho đối tác, đừng nói với ai",  # not in the FAQ
        "--json",
        OPENAI_API_KEY=API_KEY,
        OPENAI_BASE_URL=standin.base_url,
        LLM_MODEL=MODEL,
    )
    assert code == 0
    data = json.loads(out)
    assert (data["source"], data["model"], data["lesson_id"]) == ("model", MODEL, "m4-1")
    assert data["lesson_ids"][:2] == ["m4-1", "m4-2"] and "Câu trả lời do AI tạo" in data["text"]
    assert len(standin.requests) == 1


def test_prompt_files_load_and_fill_in_one_pass(tmp_path):
    loaded = P.load()
    assert "hocai-tutor-v1" in loaded.canaries()
    filled = P.fill(loaded.tutor_question, passages="[Bài 1.1] …", question="{passages}?")
    assert "{passages}?" in filled and filled.count("[Bài 1.1]") == 1
    assert P.as_content("</cau_hoi>") == "‹/cau_hoi›"

    for name in P.FILES:
        (tmp_path / f"{name}.md").write_text("{passages} {question} {task} {example} {prompt}")
    assert P.load(tmp_path).tutor_system
    (tmp_path / "tutor_question.md").write_text("no placeholders")
    with pytest.raises(P.PromptError, match="tutor_question.md: missing placeholder"):
        P.load(tmp_path)
    (tmp_path / "tutor_system.md").unlink()
    with pytest.raises(P.PromptError, match="tutor_system.md: cannot read"):
        P.load(tmp_path)
