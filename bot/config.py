"""Settings: every environment variable vmdocker reads, validated once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.models import ANSWER_THRESHOLD, SUGGEST_THRESHOLD, SlackUserId

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"

SOCKET_MODE_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
HTTP_MODE_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
OAUTH_MODE_SETTINGS = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET")


EditorId = Annotated[str, StringConstraints(pattern=r"^[UWS][A-Z0-9]{2,}$")]
ChannelId = Annotated[str, StringConstraints(pattern=r"^[CG][A-Z0-9]{2,}$")]


def default_cache_dir() -> Path:
    """The user's cache folder for vmdocker: under $XDG_CACHE_HOME, else ~/.cache."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vmdocker"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseModel):
    """vmdocker's configuration, keyed by environment variable (`load_settings` reads them)."""

    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True)

    slack_bot_token: str = ""
    slack_app_token: str = ""
    slack_signing_secret: str = ""
    slack_api_url: str = "https://slack.com/api/"
    # OAuth (installs in many workspaces): the app's credentials, and where Slack sends people
    # back after they approve an install (default: the Redirect URL set on the app).
    slack_client_id: str = ""
    slack_client_secret: str = ""
    slack_redirect_uri: str = ""
    delete_data_on_uninstall: bool = False  # true: an uninstalled workspace's records go too
    onboarding_channels: list[str] = []
    onboarding_greeting: Literal["ephemeral", "dm"] = "ephemeral"
    database_url: str = "sqlite:///vmdocker.sqlite3"
    store_question_text: bool = True  # false: record band/entry/score but never what was asked
    retention_days: int = Field(default=90, ge=0)  # older store rows are purged; 0 keeps all
    # A worker's hold on the requests it is working on; a stopped worker's are taken over after.
    inbox_lease_seconds: float = Field(default=30, gt=0, le=3600)
    # On SIGTERM: how long work in progress may finish; the rest waits in the inbox.
    drain_grace_seconds: float = Field(default=20, ge=0, le=600)
    admin_user_ids: list[SlackUserId] = []  # see insights in the Home tab
    # may teach the bot and save answers: user ids, or one user group id (S…); admins too
    knowledge_editors: list[EditorId] = []
    misses_channel: ChannelId | Literal[""] = ""  # each miss is posted there with "Teach"
    experts_channel: ChannelId | Literal[""] = ""  # declines offer "Ask the experts" there
    knowledge_dir: Path = Field(default=DEFAULT_KNOWLEDGE_DIR, alias="VMDOCKER_KNOWLEDGE_DIR")
    # Answers made from the knowledge, kept between starts (bot.core.prepared); None: not kept.
    cache_dir: Path | None = Field(default_factory=default_cache_dir, alias="VMDOCKER_CACHE_DIR")
    # Look at the knowledge files every so many seconds and reload them once an edit has
    # settled, as on SIGHUP; 0: only SIGHUP reloads.
    knowledge_watch_seconds: float = Field(default=0, ge=0, le=3600)
    match_answer_threshold: float = Field(default=ANSWER_THRESHOLD, ge=0, le=100)
    match_suggest_threshold: float = Field(default=SUGGEST_THRESHOLD, ge=0, le=100)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    health_port: int | None = Field(default=None, ge=1, le=65535)  # Socket Mode's probes
    health_host: str = "127.0.0.1"

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: dict[str, object]) -> dict[str, object]:
        for name in ("onboarding_channels", "admin_user_ids", "knowledge_editors"):
            raw = data.get(name) if isinstance(data, dict) else None
            if isinstance(raw, str):
                data[name] = [part.strip() for part in raw.split(",") if part.strip()]
        return data

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _empty_cache_dir_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("knowledge_editors")
    @classmethod
    def _one_group_at_most(cls, value: list[str]) -> list[str]:
        if sum(item.startswith("S") for item in value) > 1:
            raise ValueError("name one user group (S…) at most, or user ids")
        return value

    @field_validator(
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "slack_client_id",
        "slack_client_secret",
        "slack_redirect_uri",
    )
    @classmethod
    def _no_whitespace(cls, value: str) -> str:
        if any(char.isspace() for char in value):
            raise ValueError("must not contain spaces or line breaks (check the quoting in .env)")
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_prefix(cls, value: str) -> str:
        if value and not value.startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb- (OAuth & Permissions page)")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_prefix(cls, value: str) -> str:
        if value and not value.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp- (Basic Information)")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("slack_redirect_uri")
    @classmethod
    def _redirect_uri(cls, value: str) -> str:
        if value and urlsplit(value).scheme != "https":
            raise ValueError("must be an https URL ending in /slack/oauth_redirect")
        return value

    @property
    def installs_through_oauth(self) -> bool:
        """True in OAuth mode: client id and secret set, no bot token (one per install)."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @model_validator(mode="after")
    def _one_way_to_get_tokens(self) -> Self:
        if self.slack_bot_token and (self.slack_client_id or self.slack_client_secret):
            raise ValueError(
                "SLACK_BOT_TOKEN (one workspace) and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET "
                "(installs through OAuth) exclude each other: set one or the other"
            )
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            raise ValueError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together: set both")
        return self

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Self:
        if self.match_suggest_threshold > self.match_answer_threshold:
            raise ValueError("MATCH_SUGGEST_THRESHOLD must not be above MATCH_ANSWER_THRESHOLD")
        return self


def load_settings(**overrides: object) -> Settings:
    """The settings from `overrides`, else the environment, else `.env` in the working folder,
    else the defaults, each variable named in any case; a validation error becomes one line
    naming the variable."""
    values = {**_settings_in(_dotenv(Path(".env"))), **_settings_in(os.environ)}
    try:
        return Settings.model_validate({**values, **_settings_in(overrides)})
    except ValidationError as error:
        first = error.errors()[0]
        name = (
            "_".join(str(part) for part in first["loc"] if not isinstance(part, int)).upper()
            or "settings"
        )
        if name in ("KNOWLEDGE_DIR", "CACHE_DIR"):
            name = "VMDOCKER_" + name
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None


def _settings_in(variables: Mapping[str, object]) -> dict[str, object]:
    """The `variables` that name a setting, in any case, keyed as Settings validates them; a
    variable set twice in different cases keeps its last value."""
    keys = {key.lower(): key for key in (f.alias or n for n, f in Settings.model_fields.items())}
    return {
        keys[name.lower()]: value
        for name, value in variables.items()
        if name.lower() in keys and value is not None
    }


def _dotenv(path: Path) -> Mapping[str, str | None]:
    """The variables a `.env` file sets, parsed as python-dotenv does (quotes, `export`,
    ${VAR} expansion); none when there is no such file. A name without `=` has the value None."""
    if not (path.is_file() or path.is_fifo()):
        return {}
    from dotenv import dotenv_values  # 2 ms of start-up: imported only when there is a .env

    return dotenv_values(path, encoding="utf-8")


def require(settings: Settings, names: tuple[str, ...], purpose: str) -> None:
    """Stop start-up with one line naming the first of `names` that is not set."""
    for name in names:
        if not getattr(settings, name.lower()):
            raise SettingsError(f"{name}: required {purpose}; see .env.example")
