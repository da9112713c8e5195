"""Where settings come from: overrides, then the environment, then `.env`, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings

TOKEN = "SLACK_BOT_TOKEN"


@pytest.fixture(autouse=True)
def no_settings_from_outside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the developer's environment or `.env`."""
    for name, field in Settings.model_fields.items():
        monkeypatch.delenv(field.alias or name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


def test_the_environment_wins_over_dotenv_and_overrides_over_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Path(".env").write_text(f"{TOKEN}=xoxb-file\nLOG_LEVEL=DEBUG\n", encoding="utf-8")
    assert load_settings().slack_bot_token == "xoxb-file"
    monkeypatch.setenv(TOKEN, "xoxb-env")
    settings = load_settings()
    assert (settings.slack_bot_token, settings.log_level) == ("xoxb-env", "DEBUG")
    assert load_settings(SLACK_BOT_TOKEN="xoxb-given").slack_bot_token == "xoxb-given"


def test_names_are_read_in_any_case(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("vmdocker_knowledge_dir", str(tmp_path))
    Path(".env").write_text("Log_Level=ERROR\n", encoding="utf-8")
    settings = load_settings()
    assert (settings.knowledge_dir, settings.log_level) == (tmp_path, "ERROR")


def test_dotenv_syntax_quotes_export_expansion_and_bare_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOKEN_TAIL", "1-2-abc")
    Path(".env").write_text(
        'export SLACK_BOT_TOKEN="xoxb-${TOKEN_TAIL}"  # the bot token\n'
        "ADMIN_USER_IDS='U123, U456'\n"
        "SLACK_APP_TOKEN\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.slack_bot_token == "xoxb-1-2-abc"
    assert settings.admin_user_ids == ["U123", "U456"]
    assert settings.slack_app_token == ""  # named without a value: not set


def test_a_bad_value_in_dotenv_names_its_variable() -> None:
    Path(".env").write_text("MATCH_SUGGEST_THRESHOLD=101\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"^MATCH_SUGGEST_THRESHOLD: "):
        load_settings()
