"""`hocai chat` driven through a pipe, as a script or a demo would, on a real SQLite file."""

import os
import subprocess
import sys


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
