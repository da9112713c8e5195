"""manifest.yaml asks for every event, scope and feature the app uses, and nothing it does not."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.oauth import BOT_SCOPES, REDIRECT_PATH

ROOT = Path(__file__).resolve().parents[2]

# The bot scope each subscribed event needs (Slack's event reference); app_home_opened needs none.
EVENT_SCOPES = {
    "app_mention": {"app_mentions:read"},
    "message.im": {"im:history"},
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "member_joined_channel": {"channels:read", "groups:read"},
    "app_home_opened": set(),
    "assistant_thread_started": {"assistant:write"},
    "function_executed": set(),
    "app_uninstalled": set(),
    "tokens_revoked": set(),
}
# The bot scopes each Web API method the app calls needs (Slack's method reference).
METHOD_SCOPES: dict[str, set[str]] = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "conversations_open": {"im:write"},
    "conversations_list": {"channels:read", "groups:read"},  # public and private channels
    "users_info": {"users:read"},
    "files_upload_v2": {"files:write"},
    "views_publish": set(),  # the Home tab needs no scope
    "auth_test": set(),  # readiness: any token may call it
    "views_open": set(),  # modals open with a trigger_id, no scope
    "chat_getPermalink": set(),  # a link to a saved or escalated message; no scope
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "usergroups_users_list": {"usergroups:read"},  # KNOWLEDGE_EDITORS as a user group
    "assistant_threads_setSuggestedPrompts": {"assistant:write"},
    "assistant_threads_setTitle": {"assistant:write"},
    "assistant_threads_setStatus": {"assistant:write"},
}
WEB_API_CALL = re.compile(r"\bclient\.([a-z]+_[A-Za-z0-9_]+)\(")


def methods_called_by_the_bot() -> set[str]:
    return {
        method
        for path in (ROOT / "bot").rglob("*.py")
        for method in WEB_API_CALL.findall(path.read_text())
    }


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_events_are_the_ones_the_app_listens_to(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == sorted(EVENT_SCOPES)


def test_every_web_api_method_the_bot_calls_has_its_scope_listed_here() -> None:
    called = methods_called_by_the_bot()
    assert {"chat_postMessage", "views_publish", "files_upload_v2"} <= called
    assert called - set(METHOD_SCOPES) == set(), "add the new method's scope to the manifest"


def test_scopes_cover_every_event_and_method_and_nothing_more(manifest: dict[str, Any]) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = set().union(*EVENT_SCOPES.values())
    needed |= set().union(*(METHOD_SCOPES[method] for method in methods_called_by_the_bot()))
    needed.add("commands")  # the /vmdocker slash command
    assert scopes == needed
    assert "channels:history" in scopes  # only for follow-ups in threads the bot answered in


def test_installs_ask_for_the_manifests_scopes_and_come_back_to_the_redirect_path(
    manifest: dict[str, Any],
) -> None:
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
    [redirect] = manifest["oauth_config"]["redirect_urls"]
    assert redirect.startswith("https://") and redirect.endswith(REDIRECT_PATH)


def test_slash_command_interactivity_home_tab_and_socket_mode(manifest: dict[str, Any]) -> None:
    features = manifest["features"]
    commands = {command["command"]: command for command in features["slash_commands"]}
    assert set(commands) == {"/vmdocker"}
    assert commands["/vmdocker"]["should_escape"] is False  # we read raw <@U…> and escape ourselves
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_slack_limits_on_display_information(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    assert 174 <= len(info["long_description"]) <= 4000
    assert len(manifest["features"]["bot_user"]["display_name"]) <= 80


def test_http_mode_urls_are_documented_in_place() -> None:
    text = (ROOT / "manifest.yaml").read_text()
    assert text.count("# request_url: https://") == 2
    assert text.count("# url: https://") == 1
    assert "/slack/events" in text


def test_the_save_shortcut_is_declared_with_the_callback_id_the_app_listens_to(
    manifest: dict[str, Any],
) -> None:
    from bot.render.actions import SAVE_SHORTCUT

    [shortcut] = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", SAVE_SHORTCUT)
    assert len(shortcut["name"]) <= 24 and len(shortcut["description"]) <= 150


def test_people_may_call_the_bot_by_its_name(manifest: dict[str, Any]) -> None:
    """ "vmdocker, what is a vm?": the name is a chat word (read past), not an unknown word."""
    vocabulary = yaml.safe_load((ROOT / "knowledge" / "vocabulary.yaml").read_text())
    name = manifest["features"]["bot_user"]["display_name"]
    assert name.casefold() in vocabulary["chat"]
