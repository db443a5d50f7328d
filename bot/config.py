"""Settings from the environment and `.env` (12-factor; secrets never in the repo)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
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


@lru_cache
def get_settings() -> Settings:
    return Settings()
