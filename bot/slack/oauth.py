"""Installs in many workspaces: Bolt's OAuth flow, with installs and OAuth state kept by
slack_sdk's SQLAlchemy stores in the store's own database (DATABASE_URL).

Each request is then answered with the bot token of the workspace it came from (Bolt's
`InstallationStoreAuthorize`), a rotating token is refreshed before it expires, and an
org-wide install on Enterprise Grid is one install (and one workspace of records) for the org.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from slack_bolt import BoltContext
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore

from bot.config import Settings
from bot.slack.payloads import RevokedTokens
from bot.store.database import create_store_engine, driver_errors_as_store_errors
from bot.store.errors import StoreError
from bot.store.memory import SharedMemory
from bot.store.records import SINGLE_WORKSPACE
from bot.store.schema import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES

log = logging.getLogger(__name__)

T = TypeVar("T")

# The bot scopes asked for at install: manifest.yaml's (tests/slack/test_manifest.py checks).
BOT_SCOPES = (
    "app_mentions:read",
    "assistant:write",
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "files:write",
    "groups:history",
    "groups:read",
    "im:history",
    "im:write",
    "usergroups:read",
    "users:read",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_EXPIRATION_S = 600  # an install started must be approved within ten minutes
TOKEN_ROTATION_MINUTES = 120  # a rotating token is refreshed when it expires sooner than this


@dataclass(frozen=True)
class OAuth:
    """What Bolt needs to install and authorize: the flow's settings and the authorizer."""

    settings: OAuthSettings
    authorize: InstallationStoreAuthorize


def oauth_for(settings: Settings, client: WebClient) -> OAuth:
    """Bolt's OAuth flow for SLACK_CLIENT_ID, on an engine of DATABASE_URL (the store creates
    the tables). `client` (SLACK_API_URL) exchanges codes and refreshes rotating tokens."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    engine = create_store_engine(settings.database_url)
    installations = SQLAlchemyInstallationStore(
        client_id=settings.slack_client_id,
        engine=engine,
        bots_table_name=SLACK_BOTS,
        installations_table_name=SLACK_INSTALLATIONS,
        logger=log,
    )
    states = SQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_S,
        engine=engine,
        table_name=SLACK_OAUTH_STATES,
        logger=log,
    )
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri or None,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installations,
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        state_store=states,
        state_expiration_seconds=STATE_EXPIRATION_S,
        logger=log,
    )
    # Bolt's default authorizer refreshes tokens through a client of its own (slack.com, not
    # SLACK_API_URL) and calls auth.test on every request: this one uses ours and remembers
    # each token's auth.test (an uninstalled workspace has no token left to look up).
    authorize = InstallationStoreAuthorize(
        logger=log,
        installation_store=installations,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        cache_enabled=True,
        client=client,
    )
    return OAuth(oauth_settings, authorize)


def workspace_of(context: BoltContext) -> str:
    """Whose records a request reads and writes: the enterprise id of an org-wide install,
    otherwise the team id of the workspace."""
    if context.is_enterprise_install and context.enterprise_id:
        return context.enterprise_id
    return context.team_id or SINGLE_WORKSPACE


@dataclass(frozen=True)
class Installs:
    """Forgets a workspace when Slack says it is gone: its tokens, and on request its records.
    A database error is logged in one line and changes nothing else."""

    store: InstallationStore | None  # None with a bot token: nothing installed here
    memory: SharedMemory
    delete_data: bool

    def _on_store(self, what: str, operation: Callable[[InstallationStore], T], default: T) -> T:
        if self.store is None:
            return default
        try:
            with driver_errors_as_store_errors():
                return operation(self.store)
        except StoreError as error:
            log.error("installs: could not %s: %s", what, error)
            return default

    def installed_by(self, user_id: str, context: BoltContext) -> bool:
        """True when `user_id` installed the app where this request comes from: the admin of
        its insights there, beside ADMIN_USER_IDS."""
        installation = self._on_store(
            "find the installer",
            lambda store: store.find_installation(
                enterprise_id=context.enterprise_id,
                team_id=context.team_id,
                is_enterprise_install=context.is_enterprise_install,
            ),
            None,
        )
        return installation is not None and installation.user_id == user_id

    def _delete_tokens(self, context: BoltContext, user_id: str | None = None) -> None:
        """Every token of the workspace (or org) of `context`, or only `user_id`'s."""
        where = {"enterprise_id": context.enterprise_id, "team_id": context.team_id}
        self._on_store(
            f"delete the tokens of {workspace_of(context)}",
            lambda store: (
                store.delete_installation(**where, user_id=user_id)
                if user_id
                else store.delete_all(**where)
            ),
            None,
        )

    def uninstalled(self, context: BoltContext) -> None:
        """The app was removed from a workspace (or an org): every token, then the records."""
        if self.store is None:  # records of the bot-token workspace are kept under ""
            workspace = SINGLE_WORKSPACE
            log.warning("uninstalled from the workspace: SLACK_BOT_TOKEN no longer works")
        else:
            workspace = workspace_of(context)
            self._delete_tokens(context)
            log.info("uninstalled from %s", workspace)
        if self.delete_data:
            deleted = self.memory.delete_workspace(workspace)
            log.info(
                "DELETE_DATA_ON_UNINSTALL: %d records of %s deleted",
                deleted,
                workspace or "the workspace",
            )

    def tokens_revoked(self, tokens: RevokedTokens, context: BoltContext) -> None:
        """Tokens were revoked: a bot token takes the whole install with it (the bot can do
        nothing more there); a person's token, that person's install."""
        log.info(
            "tokens revoked in %s: the bot's %s, people's %s",
            workspace_of(context) or "the workspace",
            tokens.bot,
            tokens.oauth,
        )
        if tokens.bot:
            self._delete_tokens(context)
        for user_id in tokens.oauth:
            self._delete_tokens(context, user_id)
