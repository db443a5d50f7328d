"""Certificates: settings with a temporary files directory, a learner who passed."""

import pytest

from bot.config import Settings
from tests.test_curriculum_tracks import take_exam, take_lesson


@pytest.fixture
def settings(db_url, tmp_path, monkeypatch):
    s = Settings(
        _env_file=None,
        database_url=db_url,
        admin_telegram_ids=["900"],
        public_base_url="http://testserver",
        secret_key="test-secret-key",
        certificate_dir=tmp_path / "certificates",
    )
    monkeypatch.setattr("bot.certificates.service.get_settings", lambda: s)
    return s


async def pass_exam(chat, catalog, group_label="Người dân", group="dan") -> None:
    """Onboard, finish the track, pass the final assessment (13/15)."""
    await chat.onboard(group=group_label)
    for lesson in catalog.track(group):
        await take_lesson(chat, lesson.id)
    await chat.tap("Kiểm tra cuối khóa")
    await chat.tap("Bắt đầu")
    await take_exam(chat, wrong=2)
    chat.expect("🎓 Chúc mừng! Bạn đúng 13/15 câu")
