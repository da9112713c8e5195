"""Slack settings: a missing or malformed value stops start-up with one line naming it, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, main
from bot.config import SettingsError, load_settings

BOT_TOKEN = "xoxb-1-2-abc"
APP_TOKEN = "xapp-1-A1-2-def"
OAUTH = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "s3cr3t"}
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Slack variables and no `.env` from the developer's machine."""
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def run_cli(
    argv: list[str],
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SLACK_BOT_TOKEN": "abc"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": APP_TOKEN}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": BOT_TOKEN}, "SLACK_APP_TOKEN"),
        ({"SLACK_SIGNING_SECRET": "abc def"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN + "\n"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_API_URL": "not a url"}, "SLACK_API_URL"),
        ({"SLACK_API_URL": "ftp://slack.com/api/"}, "SLACK_API_URL"),
        ({"SLACK_API_URL": "http://"}, "SLACK_API_URL"),
    ],
)
def test_malformed_value_exits_2_naming_the_variable(
    env: dict[str, str],
    variable: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(["list"], env, monkeypatch, capsys)
    assert code == EXIT_CONFIG
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1
    assert f"{variable}:" in lines[0]
    assert "Value error" not in lines[0]
    secret_value = next(iter(env.values())).strip()
    assert secret_value not in lines[0]  # a malformed token is never echoed into logs


@pytest.mark.parametrize(
    ("argv", "env", "variable"),
    [
        (["serve", "--port", "3999"], {}, "SLACK_BOT_TOKEN"),
        (["serve", "--port", "3999"], {"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_SIGNING_SECRET"),
        (["serve", "--port", "3999"], {"SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN"),
        (["run"], {"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_APP_TOKEN"),
        (["serve", "--port", "3999"], OAUTH, "SLACK_SIGNING_SECRET"),
        (["run"], {"SLACK_APP_TOKEN": APP_TOKEN}, "SLACK_BOT_TOKEN"),
    ],
)
def test_mode_without_its_settings_exits_2_naming_the_variable(
    argv: list[str],
    env: dict[str, str],
    variable: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(argv, env, monkeypatch, capsys)
    assert code == EXIT_CONFIG
    assert out == ""  # nothing started
    assert err.splitlines() == [err.strip()]
    assert err.startswith(f"vmdocker: configuration error: {variable}: required")


def test_run_without_tokens_is_the_offline_console_saying_how_to_connect(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", _Lines(["what is a container?"]))
    code, out, _ = run_cli(["run"], {}, monkeypatch, capsys)
    assert code == 0
    assert "SLACK_BOT_TOKEN" in out and "SLACK_APP_TOKEN" in out
    assert "manifest.yaml" in out
    assert "?" in out and len(out.splitlines()) > 4  # the question was answered


@pytest.mark.parametrize("bad", ["0", "70000", "x"])
def test_serve_rejects_a_bad_port(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--port", bad])
    assert exit_info.value.code == 2
    assert "--port" in capsys.readouterr().err


def test_api_url_gets_a_trailing_slash() -> None:
    settings = load_settings(SLACK_API_URL="http://127.0.0.1:8080/api")
    assert settings.slack_api_url == "http://127.0.0.1:8080/api/"
    assert load_settings().slack_api_url == "https://slack.com/api/"


def test_well_formed_tokens_load() -> None:
    settings = load_settings(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=SECRET
    )
    assert (settings.slack_bot_token, settings.slack_app_token) == (BOT_TOKEN, APP_TOKEN)


def test_settings_error_names_the_variable_for_overrides() -> None:
    with pytest.raises(SettingsError, match=r"^SLACK_APP_TOKEN: must be an app-level token"):
        load_settings(SLACK_APP_TOKEN="xoxp-user-token")


class _Lines:
    """A stdin that yields the given lines and then end of file."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = list(lines)

    def readline(self) -> str:
        return self.lines.pop(0) + "\n" if self.lines else ""


def test_oauth_mode_is_client_id_and_secret_without_a_bot_token() -> None:
    assert load_settings(**OAUTH).installs_through_oauth is True
    assert load_settings(SLACK_BOT_TOKEN=BOT_TOKEN).installs_through_oauth is False
    with pytest.raises(SettingsError, match="exclude each other"):
        load_settings(SLACK_BOT_TOKEN=BOT_TOKEN, **OAUTH)
    with pytest.raises(SettingsError, match="go together"):
        load_settings(SLACK_CLIENT_ID="1111.2222")
    with pytest.raises(SettingsError, match="SLACK_REDIRECT_URI: must be an https URL"):
        load_settings(SLACK_REDIRECT_URI="http://example.com/slack/oauth_redirect", **OAUTH)


def test_socket_mode_refuses_oauth_saying_to_serve(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["run"], OAUTH, monkeypatch, capsys)
    assert code == EXIT_CONFIG
    assert out == ""
    assert "installs through OAuth need `vmdocker serve`" in err
