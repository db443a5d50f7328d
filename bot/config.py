"""Settings from the environment and `.env` (12-factor; secrets never in the repo)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LESSONS_DIR = Path(__file__).resolve().parent.parent / "lessons" / "content"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./data/hocai.db",
        description="SQLite file (default) or postgresql+asyncpg://user@host/db",
    )
    lessons_dir: Path = Field(default=LESSONS_DIR, description="Folder of the lesson YAML files")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="Time zone shown to people")
    log_level: str = Field(default="INFO")
    sql_echo: bool = Field(default=False, description="Log every SQL statement (debugging)")

    # Web app (webhooks, health; dashboard later)
    web_host: str = Field(default="127.0.0.1")
    web_port: int = Field(default=8080)

    # Telegram
    telegram_bot_token: SecretStr | None = Field(default=None)
    telegram_api_base: str = Field(default="https://api.telegram.org")
    telegram_mode: Literal["polling", "webhook"] = Field(default="polling")
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret for X-Telegram-Bot-Api-Secret-Token (1-256 chars)"
    )

    # Zalo Bot Platform
    zalo_bot_token: SecretStr | None = Field(default=None)
    zalo_api_base: str = Field(default="https://bot-api.zaloplatforms.com")
    zalo_mode: Literal["polling", "webhook"] = Field(default="polling")
    zalo_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret for X-Bot-Api-Secret-Token (8-256 chars)"
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
