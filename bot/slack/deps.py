"""What every listener needs, built once per app and handed to each request through Bolt's
context (`context["deps"]`), so listeners stay plain module-level functions. With installs in
many workspaces, each request's `Deps.memory` is its own workspace's."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.answers import Answers
from bot.core.knowledge import KnowledgeError
from bot.core.learned import taught_by_entry
from bot.core.matching import forget_cached_questions
from bot.core.onboarding import Onboarding
from bot.render.screens import home_view
from bot.slack.delivery import DiagramKey, DiagramUploads, describe_api_error
from bot.slack.metrics import knowledge_loaded
from bot.slack.oauth import Installs, OAuth, workspace_of
from bot.slack.webclient import kept_open_copy
from bot.store.memory import Learning, Memory, SharedMemory, WorkspaceMemory

log = logging.getLogger(__name__)

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")


def resolve_channels(client: WebClient, configured: Iterable[str]) -> tuple[frozenset[str], bool]:
    """ONBOARDING_CHANNELS as channel ids: ids kept as they are, names looked up in
    conversations.list. The flag is False when the lookup failed (worth trying again)."""
    ids = {item for item in configured if CHANNEL_ID.match(item)}
    names = {item.lstrip("#").lower() for item in configured if not CHANNEL_ID.match(item)}
    if not names:
        return frozenset(ids), True
    try:
        for page in client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=1000
        ):
            for channel in page.get("channels", []):
                if channel.get("name") in names:
                    ids.add(channel["id"])
                    names.discard(channel["name"])
    except SlackApiError as error:
        log.warning(
            "could not list channels to resolve ONBOARDING_CHANNELS: %s",
            describe_api_error(error),
        )
        return frozenset(ids), False
    if names:
        log.warning("ONBOARDING_CHANNELS: no channel named %s; not greeting there", sorted(names))
    return frozenset(ids), True


class OnboardingChannels:
    """The channels to greet in, resolved once on first use: `build_app` calls no Slack API."""

    def __init__(self, configured: list[str]) -> None:
        self._configured = configured
        self._ids: frozenset[str] | None = None
        self._lock = threading.Lock()

    def ids(self, client: WebClient) -> frozenset[str]:
        with self._lock:
            if self._ids is not None:
                return self._ids
            ids, complete = resolve_channels(client, self._configured)
            if complete:
                self._ids = ids
                log.info("greeting newcomers in %d channel(s): %s", len(ids), sorted(ids))
            return ids


EDITOR_GROUP_TTL_S = 60.0  # a user group's members are looked up at most once a minute


class Editors:
    """Who may teach the bot and save answers: admins, the listed user ids, and the members of
    one user group (`usergroups.users.list`, remembered for a minute; the last good list is
    kept while Slack refuses)."""

    def __init__(self, configured: Iterable[str], admins: Iterable[str]) -> None:
        configured = list(configured)
        self._users = frozenset(admins) | {i for i in configured if not i.startswith("S")}
        self._group = next((i for i in configured if i.startswith("S")), None)
        self._members: frozenset[str] = frozenset()
        self._checked_at: float | None = None
        self._lock = threading.Lock()

    def includes(self, client: WebClient, user_id: str) -> bool:
        if user_id in self._users:
            return True
        return self._group is not None and user_id in self._group_members(client)

    def _group_members(self, client: WebClient) -> frozenset[str]:
        assert self._group is not None
        with self._lock:
            now = time.monotonic()
            if self._checked_at is not None and now - self._checked_at < EDITOR_GROUP_TTL_S:
                return self._members
            self._checked_at = now
            try:
                users = client.usergroups_users_list(usergroup=self._group).get("users") or []
                self._members = frozenset(str(user) for user in users)
            except SlackApiError as error:
                log.warning(
                    "could not read the editors' user group %s: %s",
                    self._group,
                    describe_api_error(error),
                )
            return self._members


@dataclass(frozen=True)
class Deps:
    """The answers, the store, onboarding, uploaded diagrams and the settings listeners read."""

    answers: Answers
    memory: Memory
    onboarding: Onboarding
    channels: OnboardingChannels
    installs: Installs
    uploads: DiagramUploads  # kept across reloads: its keys name the knowledge version
    admins: frozenset[str] = frozenset()
    greeting: Literal["ephemeral", "dm"] = "ephemeral"
    home: dict[str, Any] = field(default_factory=dict)
    editors: Editors = field(default_factory=lambda: Editors((), ()))
    learning: Learning | None = None  # None without a database: nothing to teach from
    misses_channel: str = ""
    experts_channel: str = ""

    @classmethod
    def build(
        cls,
        answers: Answers,
        memory: SharedMemory,
        *,
        onboarding_channels: list[str],
        installs: Installs,
        admins: Iterable[str] = (),
        greeting: Literal["ephemeral", "dm"] = "ephemeral",
        editors: Iterable[str] = (),
        learning: Learning | None = None,
        misses_channel: str = "",
        experts_channel: str = "",
    ) -> Deps:
        return cls(
            answers=answers,
            memory=memory,
            onboarding=Onboarding(answers),
            channels=OnboardingChannels(onboarding_channels),
            installs=installs,
            uploads=DiagramUploads(memory),
            admins=frozenset(admins),
            greeting=greeting,
            home=home_view(answers.knowledge),  # the part everyone gets: built once
            editors=Editors(editors, admins),
            learning=learning,
            misses_channel=misses_channel,
            experts_channel=experts_channel,
        )

    def diagram_key(self, team_id: str | None, diagram_id: str) -> DiagramKey:
        """Which upload of a diagram serves in that workspace, for the knowledge serving now."""
        return DiagramKey(team_id or "", diagram_id, self.answers.knowledge.version)


class Serving:
    """The `Deps` requests get now. A knowledge reload swaps them whole, in one assignment:
    a request sees the old knowledge or the new, never half of each.

    `shared` is every workspace's memory (and the inbox's). With `oauth` (installs in many
    workspaces) each request gets its own workspace's view of it; without, the one workspace's
    memory as is."""

    def __init__(self, deps: Deps, shared: SharedMemory, *, oauth: OAuth | None = None) -> None:
        self.deps = deps
        self.oauth = oauth
        self.shared = shared
        self._from_files = deps.answers  # the knowledge as loaded, before taught wordings
        self._taught: dict[str, list[str]] = {}
        self._learned_stamp: object = None
        self._lock = threading.Lock()
        knowledge = deps.answers.knowledge
        knowledge_loaded(len(knowledge.entries), knowledge.version)

    def refresh_learned(self) -> bool:
        """Read the taught wordings when the store says they changed, and answer with them
        from now on; True when the answers were rebuilt. Every worker calls this every few
        seconds (`bot.slack.jobs`), so a wording taught in one is used by all."""
        learning = self.deps.learning
        stamp = learning.learned_stamp() if learning else None
        if learning is None or stamp is None or stamp == self._learned_stamp:
            return False
        rows = learning.learned()
        if rows is None:
            return False
        with self._lock:
            self._learned_stamp = stamp
            self._taught = taught_by_entry(rows)
            self._swap(self._from_files)
        log.info("answering with %d taught wording(s)", sum(map(len, self._taught.values())))
        return True

    def _swap(self, from_files: Answers) -> None:
        answers = from_files.with_learned(self._taught) if self._taught else from_files
        self.deps = replace(
            self.deps,
            answers=answers,
            onboarding=Onboarding(answers),
            home=home_view(answers.knowledge),
        )
        forget_cached_questions()  # the replaced matcher's: it can go now

    def reload(self, load: Callable[[], Answers]) -> bool:
        """Load the knowledge again with `load`; only a valid one replaces what serves. An
        invalid one changes nothing and is logged in one line, each problem with its file."""
        try:
            answers = load()
        except KnowledgeError as error:
            log.error(
                "knowledge reload refused, still serving the knowledge loaded before: %s",
                "; ".join(error.problems),
            )
            return False
        with self._lock:
            self._from_files = answers
            self._swap(answers)
        knowledge_loaded(len(answers.knowledge.entries), answers.knowledge.version)
        log.info(
            "knowledge reloaded: %d entries, version %s",
            len(answers.knowledge.entries),
            answers.knowledge.version,
        )
        return True


def provide(serving: Serving) -> Callable[..., None]:
    """Global middleware that puts the serving `Deps` in every request's context, and a
    metered client that keeps its connections in place of Bolt's per-request one."""

    def provide_deps(context: BoltContext, next: Callable[[], None]) -> None:
        deps = serving.deps
        if serving.oauth is not None:
            deps = replace(deps, memory=WorkspaceMemory(serving.shared, workspace_of(context)))
        context["deps"] = deps
        context["client"] = kept_open_copy(context.client)  # authorized by now
        next()

    return provide_deps


def deps_of(context: BoltContext) -> Deps:
    """The listener's dependencies, as `provide` put them in the context."""
    deps: Deps = context["deps"]
    return deps
