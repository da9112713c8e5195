"""What every listener needs, built once per app and handed to each request through Bolt's
context (`context["deps"]`), so listeners stay plain module-level functions."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.answers import Answers
from bot.core.knowledge import KnowledgeError
from bot.core.onboarding import Onboarding
from bot.render.screens import home_view
from bot.slack.delivery import DiagramKey, DiagramUploads, describe_api_error
from bot.slack.metrics import knowledge_loaded
from bot.store.memory import Memory

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


@dataclass(frozen=True)
class Deps:
    """The answers, the store, onboarding, uploaded diagrams and the settings listeners read."""

    answers: Answers
    memory: Memory
    onboarding: Onboarding
    channels: OnboardingChannels
    uploads: DiagramUploads  # kept across reloads: its keys name the knowledge version
    admins: frozenset[str] = frozenset()
    greeting: Literal["ephemeral", "dm"] = "ephemeral"
    home: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        answers: Answers,
        memory: Memory,
        *,
        onboarding_channels: list[str],
        admins: Iterable[str] = (),
        greeting: Literal["ephemeral", "dm"] = "ephemeral",
    ) -> Deps:
        return cls(
            answers=answers,
            memory=memory,
            onboarding=Onboarding(answers),
            channels=OnboardingChannels(onboarding_channels),
            uploads=DiagramUploads(memory),
            admins=frozenset(admins),
            greeting=greeting,
            home=home_view(answers.knowledge),  # the part everyone gets: built once
        )

    def diagram_key(self, team_id: str | None, diagram_id: str) -> DiagramKey:
        """Which upload of a diagram serves in that workspace, for the knowledge serving now."""
        return DiagramKey(team_id or "", diagram_id, self.answers.knowledge.version)


class Serving:
    """The `Deps` requests get now. A knowledge reload swaps them whole, in one assignment:
    a request sees the old knowledge or the new, never half of each."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        knowledge = deps.answers.knowledge
        knowledge_loaded(len(knowledge.entries), knowledge.version)

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
        self.deps = replace(
            self.deps,
            answers=answers,
            onboarding=Onboarding(answers),
            home=home_view(answers.knowledge),
        )
        knowledge_loaded(len(answers.knowledge.entries), answers.knowledge.version)
        log.info(
            "knowledge reloaded: %d entries, version %s",
            len(answers.knowledge.entries),
            answers.knowledge.version,
        )
        return True


def provide(serving: Serving) -> Callable[..., None]:
    """Global middleware that puts the serving `Deps` in every request's context."""

    def provide_deps(context: BoltContext, next: Callable[[], None]) -> None:
        context["deps"] = serving.deps
        next()

    return provide_deps


def deps_of(context: BoltContext) -> Deps:
    """The listener's dependencies, as `provide` put them in the context."""
    deps: Deps = context["deps"]
    return deps
