"""Rendering: text within Telegram's limits, cut at paragraph breaks; choices as buttons."""

import logging

from bot.channels.telegram.constants import MAX_CALLBACK_DATA_BYTES, MAX_MESSAGE_CHARS
from bot.channels.telegram.render import answered_question, keyboard, render, split_text, tg_len
from bot.messages import Choice, Outbound


def test_short_text_is_one_message_exactly_as_written():
    text = "Câu 1: <b>AI</b> & bạn > 3 < 5 &amp;"
    (chunk,) = render(Outbound(text))
    assert chunk.text == text and chunk.markup is None


def test_long_text_is_cut_at_paragraph_breaks_within_the_limit():
    paragraphs = [f"Đoạn {i}: " + "chữ " * 300 for i in range(12)]  # ~1,200 chars each
    chunks = split_text("\n\n".join(paragraphs))
    assert len(chunks) > 1
    assert all(tg_len(c) <= MAX_MESSAGE_CHARS for c in chunks)
    # No paragraph was cut: each chunk is whole paragraphs.
    assert [p.strip() for c in chunks for p in c.split("\n\n")] == [p.strip() for p in paragraphs]


def test_a_paragraph_longer_than_the_limit_is_cut_at_lines_then_words():
    lines = "\n".join("dòng " + "x" * 90 for _ in range(100))  # one 9,600-char paragraph
    chunks = split_text(lines)
    assert all(tg_len(c) <= MAX_MESSAGE_CHARS for c in chunks)
    assert "\n".join(chunks) == lines

    words = " ".join(["từ"] * 3000)
    chunks = split_text(words)
    assert all(tg_len(c) <= MAX_MESSAGE_CHARS for c in chunks)
    assert " ".join(chunks) == words


def test_text_without_spaces_is_cut_hard_and_emoji_count_twice():
    text = "📚" * 3000  # 6,000 UTF-16 units
    chunks = split_text(text)
    assert [tg_len(c) for c in chunks] == [4096, 6000 - 4096]
    assert "".join(chunks) == text


def test_buttons_go_under_the_last_chunk_only():
    message = Outbound("\n\n".join(["a" * 3000] * 3), (Choice("Học tiếp", "n"),))
    chunks = render(message)
    assert len(chunks) == 3
    assert [c.markup is not None for c in chunks] == [False, False, True]


def test_keyboard_layout():
    letters = keyboard(tuple(Choice(x, f"a:m1-1:q1:{i}") for i, x in enumerate("ABCD")))
    assert [[b.text for b in row] for row in letters.inline_keyboard] == [["A", "B", "C", "D"]]
    menu = keyboard(tuple(Choice(x, "m") for x in ["Học tiếp", "Chọn bài", "Tiến độ"]))
    assert [len(row) for row in menu.inline_keyboard] == [2, 1]
    long = keyboard((Choice("Bài tiếp: 1.2 AI quanh ta trong đời sống", "l:m1-2"),))
    assert [len(row) for row in long.inline_keyboard] == [1]


def test_a_payload_telegram_would_refuse_is_dropped_not_the_message(caplog):
    too_long = "x" * (MAX_CALLBACK_DATA_BYTES + 1)
    with caplog.at_level(logging.ERROR):
        (chunk,) = render(Outbound("Chọn:", (Choice("A", too_long), Choice("B", "ok"))))
    assert [b.callback_data for row in chunk.markup.inline_keyboard for b in row] == ["ok"]
    assert "button dropped" in caplog.text


def test_a_keyboard_without_text_still_has_a_message():
    (chunk,) = render(Outbound("  ", (Choice("Về menu", "m"),)))
    assert chunk.text == "Mời bạn chọn:" and chunk.markup is not None


def test_answered_question_keeps_the_question_and_adds_the_verdict():
    text = answered_question("Câu 1/4: AI là gì?\n\nA. Máy\nB. Người", "A", "✅ Đúng rồi!")
    assert text == "Câu 1/4: AI là gì?\n\nA. Máy\nB. Người\n\nBạn chọn: A\n✅ Đúng rồi!"
    assert answered_question("x" * 4000, "A", "y" * 200) is None
