"""Settings from the environment and `.env` (12-factor; secrets never in the repo)."""

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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

    # Reminders and sending
    quiet_hours: str = Field(default="21:30-07:00", description="No reminders in this span")
    scheduler_tick_seconds: int = Field(default=30, description="How often due work is read")
    telegram_rate: float = Field(default=25.0, description="Outbox messages/s to Telegram")
    zalo_rate: float = Field(default=10.0, description="Outbox messages/s to Zalo")

    # Web app (webhooks, health; dashboard later)
    web_host: str = Field(default="127.0.0.1")
    web_port: int = Field(default=8080)

    # Production (issue 11): processes, election, shutdown, logs (docs/DEPLOY.md)
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto", description="auto: JSON for run/serve/worker when not on a terminal"
    )
    outbox_lease_seconds: float = Field(
        default=60.0, gt=0, description="A claimed outbox row is retried by others after this"
    )
    leader_poll_seconds: float = Field(
        default=5.0, gt=0, description="How often a standby worker tries the leader lock"
    )
    leader_check_seconds: float = Field(
        default=5.0, gt=0, description="How often the leader checks its lock connection"
    )
    startup_timeout_seconds: float = Field(
        default=60.0, ge=0, description="How long start-up waits for the database (retrying)"
    )
    reply_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A reply not marked sent by then is sent by the worker (a crash's leftover)",
    )
    shutdown_grace_seconds: float = Field(
        default=20.0, ge=0, description="On SIGTERM: how long in-flight work may finish"
    )
    # Telegram keeps an undelivered update (and retries a webhook) for at most 24 h;
    # Zalo's redelivery window is taken to be similar. 7 days is a wide margin over both.
    processed_update_retention_days: int = Field(
        default=7, ge=1, description="Inbound update ids kept to drop redeliveries (days)"
    )

    # Thi đua (issue 22): stalled learners for staff, the weekly digest
    stalled_after_ignored: int = Field(
        default=3, ge=1, description="Ignored reminders in a row that put a learner on the list"
    )
    stalled_after_days: int = Field(
        default=14, ge=1, description="Days without studying that put a learner on the list"
    )

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

    # Zalo Official Account, OA API v3 + OAuth v4 (issue 23, docs/ZALO_OA.md). The tokens
    # are kept in the database (`hocai zalo-oa connect`); the secrets come from here only.
    zalo_oa_app_id: str | None = Field(default=None, description="Zalo app id linked to the OA")
    zalo_oa_app_secret: SecretStr | None = Field(
        default=None, description="The app's secret key (OAuth token calls)"
    )
    zalo_oa_secret_key: SecretStr | None = Field(
        default=None, description="The OA secret key (webhook X-ZEvent-Signature)"
    )
    zalo_oa_redirect_uri: str | None = Field(
        default=None, description="The app's OA callback URL, as registered with Zalo"
    )
    zalo_oa_api_base: str = Field(default="https://openapi.zalo.me")
    zalo_oa_oauth_base: str = Field(default="https://oauth.zaloapp.com")
    zalo_oa_rate: float = Field(default=10.0, description="Outbox messages/s to the Zalo OA")

    # Admin dashboard, admin API, exports (issue 8)
    admin_telegram_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Telegram user ids that are admins (comma-separated)"
    )
    admin_zalo_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Zalo user ids that are admins (comma-separated)"
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Where people reach the web app: login links and unit join links",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs login links; generated per process when absent"
    )
    session_hours: int = Field(default=8, ge=1, description="Dashboard sessions expire after")
    telegram_bot_username: str | None = Field(
        default=None, description="For the Telegram button on unit join pages (no @)"
    )

    @field_validator("admin_telegram_ids", "admin_zalo_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    # Certificates (issue 18): the rendered PDF/PNG, a cache of the database rows
    certificate_dir: Path = Field(
        default=Path("data/certificates"), description="Where certificate files are kept"
    )

    # AI tutor (issue 9): offline answers from the lessons unless an API key is set
    openai_api_key: SecretStr | None = Field(
        default=None, description="Key of an OpenAI-compatible endpoint; unset: offline tutor"
    )
    openai_base_url: str | None = Field(
        default=None, description="e.g. http://127.0.0.1:8000/v1 (vLLM, Ollama); unset: OpenAI"
    )
    llm_model: str = Field(default="gpt-4o-mini", description="Chat model name")
    llm_timeout_seconds: float = Field(
        default=20.0, gt=0, description="Past this the offline answer is given"
    )
    ask_daily_quota: int = Field(default=30, ge=0, description="Tutor questions per learner/day")
    prompts_dir: Path | None = Field(
        default=None, description="Folder of the tutor's prompt files (default: prompts/)"
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()


def parse_quiet_hours(value: str) -> tuple[time, time]:
    """'21:30-07:00' -> (21:30, 07:00)."""
    start, end = (part.strip() for part in value.split("-"))
    return time.fromisoformat(start), time.fromisoformat(end)
