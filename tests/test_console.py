"""`hocai chat` driven through a pipe, as a script or a demo would, on a real SQLite file."""

import io
import os
import random
import subprocess
import sys

import pytest

from bot.channels import console
from bot.engine import Engine


def run_chat(tmp_path, lines: list[str], *extra: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        "PYTHONIOENCODING": "utf-8",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", *extra],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_piped_chat_reads_like_a_transcript(tmp_path):
    out = run_chat(tmp_path, ["1", "1", "tan cuong", "1", "Bỏ qua", "1"], "--name", "Bác Ba")
    assert out.startswith("Xin chào! Mình là trợ lý học AI tự động")
    assert "1. Đồng ý\n2. Không đồng ý" in out
    assert "> tan cuong\nBạn ở nơi nào dưới đây?" in out
    assert "📚 Bài 1.1 · AI nói dễ hiểu (1/5)" in out
    assert out.index("> 1") < out.index("Cảm ơn bạn! Bạn thuộc nhóm nào?")


def test_a_whole_module_can_be_finished_in_the_console(tmp_path):
    """Onboard, then all four lessons of M1: 5 cards and 4 questions each, answering 'A'."""
    lesson = ["1"] * 5 + ["A"] * 4 + ["1"]  # Tiếp x4, Làm câu hỏi, 4 answers, Bài tiếp
    lines = ["1", "1", "dai tu", "1", "Bỏ qua", "1", *lesson * 4, "/tiendo"]
    out = run_chat(tmp_path, lines)
    for n in (1, 2, 3, 4):
        assert f"Xong bài 1.{n}!" in out
    assert "▓▓▓▓▓ 100% · 4/4 bài" in out


def test_progress_survives_a_restart(tmp_path):
    run_chat(tmp_path, ["1", "1", "dai tu", "1", "Bỏ qua", "1", "1"])
    out = run_chat(tmp_path, ["/hoc"])
    assert "Chào bạn quay lại" in out
    assert "(2/5)" in out.split("> /hoc", 1)[1]


def test_quit_word(tmp_path):
    out = run_chat(tmp_path, ["/thoat", "1"])
    assert out.rstrip().endswith("Tạm biệt!")


def test_quiz_options_are_listed_once(tmp_path):
    """Lettered in the question, then only the hint: not numbered a second time."""
    out = run_chat(tmp_path, ["1", "1", "dai tu", "1", "Bỏ qua", "1", *["1"] * 5])
    question = out.split("> 1\n")[-1]
    assert question.startswith("Câu 1/4: ")
    assert "\nA. " in question and "\nD. " in question
    assert question.rstrip().endswith("Trả lời A, B, C hoặc D.")
    assert "\n1. A" not in question and "\n1. " not in question


def test_wrap_cuts_at_spaces_and_keeps_list_items_together():
    text = (
        "Câu 1/4: Một câu hỏi khá dài để xem máy cắt dòng ở đâu cho đẹp?\n\n"
        "A. Một lựa chọn cũng khá dài, phải xuống dòng\n"
        "B. Ngắn\n\n"
        "Xem https://example.gov.vn/mot-duong-dan-rat-dai-khong-the-cat nhé."
    )
    wrapped = console.wrap(text, 24)
    lines = wrapped.splitlines()
    assert all(len(line) <= 24 for line in lines if "https://" not in line)
    assert "https://example.gov.vn/mot-duong-dan-rat-dai-khong-the-cat" in lines  # kept whole
    assert "A. Một lựa chọn cũng khá" in lines and "   dài, phải xuống dòng" in lines
    assert "B. Ngắn" in lines and lines.count("") == 2  # paragraphs stay apart
    assert wrapped.split() == text.split()  # no word lost or cut
    assert console.wrap(text, 10) == text  # too narrow to help: left alone


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_console_wraps_replies_to_the_width(sessions, catalog):
    lines = "1\n1\ndai tu\n1\nBỏ qua\n1\n1\n"

    async def transcript(width):
        out = io.StringIO()
        tutor = Engine(sessions, catalog, rng=random.Random(1))
        await console.run(tutor, user_id=f"w{width}", inp=io.StringIO(lines), out=out, width=width)
        return out.getvalue()

    narrow, plain = await transcript(40), await transcript(0)
    assert max(len(line) for line in plain.splitlines()) > 40
    assert all(len(line) <= 40 for line in narrow.splitlines())
    assert narrow.split() == plain.split()  # the same words, only the line breaks differ
