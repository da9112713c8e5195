"""The app leaving a workspace: `app_uninstalled` and `tokens_revoked` delete its tokens (and,
with DELETE_DATA_ON_UNINSTALL, its records). Bolt lets both through without a token."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.slack.deps import deps_of
from bot.slack.payloads import TokensRevoked, parse_payload


def handle_app_uninstalled(context: BoltContext) -> None:
    """Removed from a workspace or an org: forget its tokens (and maybe its records)."""
    deps_of(context).installs.uninstalled(context)


def handle_tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
    """Some of the app's tokens were revoked there: forget those."""
    revoked = parse_payload(TokensRevoked, event)
    deps_of(context).installs.tokens_revoked(revoked.tokens, context)
