"""Settings: every environment variable vmdocker reads, validated once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    """vmdocker's configuration, from the environment and `.env`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: str = ""
    slack_app_token: str = ""
    slack_signing_secret: str = ""
    slack_api_url: str = "https://slack.com/api/"
    onboarding_channels: Annotated[list[str], NoDecode] = []
    database_url: str = "sqlite:///vmdocker.sqlite3"
    knowledge_dir: Path = Field(default=DEFAULT_KNOWLEDGE_DIR, alias="VMDOCKER_KNOWLEDGE_DIR")
    match_answer_threshold: float = Field(default=72.0, ge=0, le=100)
    match_suggest_threshold: float = Field(default=52.0, ge=0, le=100)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: dict[str, object]) -> dict[str, object]:
        raw = data.get("onboarding_channels") if isinstance(data, dict) else None
        if isinstance(raw, str):
            data["onboarding_channels"] = [part.strip() for part in raw.split(",") if part.strip()]
        return data

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Self:
        if self.match_suggest_threshold > self.match_answer_threshold:
            raise ValueError("MATCH_SUGGEST_THRESHOLD must not be above MATCH_ANSWER_THRESHOLD")
        return self


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation error into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = "_".join(str(part) for part in first["loc"]).upper() or "settings"
        if name == "KNOWLEDGE_DIR":
            name = "VMDOCKER_KNOWLEDGE_DIR"
        raise SettingsError(f"{name}: {first['msg']}") from None
