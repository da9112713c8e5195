"""Onboarding channels: greet each newcomer privately once, and drive the tour and quiz buttons.

Screens replace the message their button sits on (`chat.update`, or the `response_url` for an
ephemeral message), so a whole tour or quiz stays one message. A button in a view (the Home tab)
has no message to replace, so its first screen goes to the person's DM.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError
from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.listeners.delivery import (
    message_payload,
    post_ephemeral,
    post_to_user,
    update_message,
)
from bot.memory import Memory
from bot.models import (
    BlockMessage,
    ButtonClick,
    MemberJoined,
    QuizProgress,
    QuizRun,
    TourProgress,
)
from bot.onboarding import Onboarding
from bot.replies.onboarding import (
    HOW_TO_ASK,
    QUIZ_ANSWER,
    QUIZ_NEXT,
    QUIZ_START,
    TOUR_DONE,
    TOUR_STEP,
)

log = logging.getLogger(__name__)

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
SLACKBOT = "USLACKBOT"

Json = dict[str, Any]


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
        log.warning("could not list channels to resolve ONBOARDING_CHANNELS: %s", error)
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


def _save_tour(memory: Memory, user_id: str, index: int, total: int, *, done: bool = False) -> None:
    """Keep the step shown (1-based, as a `TourProgress`) for the Home tab."""
    step = min(max(index, 0), total - 1) + 1
    state = TourProgress(step=step, of=total, done=done).model_dump()
    memory.save_progress(user_id=user_id, kind="tour", state=state)


def _save_quiz(memory: Memory, user_id: str, run: QuizRun) -> None:
    """Keep the run's progress (a `QuizProgress`) for the Home tab."""
    state = QuizProgress(
        answered=run.position, score=run.score, of=len(run.order), done=run.finished
    ).model_dump()
    memory.save_progress(user_id=user_id, kind="quiz", state=state)


def start_tour(onboarding: Onboarding, memory: Memory, user_id: str) -> BlockMessage:
    """The tour's first step, with the person's progress reset to it (`/vmdocker tour`)."""
    if onboarding.has_tour:
        _save_tour(memory, user_id, 0, onboarding.tour_length)
    return onboarding.tour_step(0)


def start_quiz(onboarding: Onboarding, memory: Memory, user_id: str) -> BlockMessage:
    """A fresh quiz run's first question (`/vmdocker quiz`)."""
    run, message = onboarding.quiz_start()
    if run is not None:
        _save_quiz(memory, user_id, run)
    return message


def _is_person(client: WebClient, user_id: str) -> bool:
    """True for a human account; bots, Slackbot, deleted users and lookup failures are not."""
    if user_id == SLACKBOT:
        return False
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        log.warning("users.info failed for %s, not greeting: %s", user_id, error)
        return False
    return not (user.get("is_bot") or user.get("deleted") or user.get("is_workflow_bot"))


def _deliver_greeting(
    client: WebClient, settings: Settings, joined: MemberJoined, message: BlockMessage
) -> None:
    if settings.onboarding_greeting == "dm":
        post_to_user(client, joined.user, message)
    else:
        post_ephemeral(client, joined.channel, joined.user, message)


def _show(click: ButtonClick, client: WebClient, respond: Respond, message: BlockMessage) -> None:
    """Replace the message the button sat on with `message` (a view's button opens a DM)."""
    if click.in_view or not click.channel_id or not click.message_ts:
        post_to_user(client, click.user_id, message)
    elif click.is_ephemeral and click.response_url:
        respond(replace_original=True, **message_payload(message))
    else:
        update_message(client, click.channel_id, click.message_ts, message)


def register(
    app: App,
    *,
    settings: Settings,
    onboarding: Onboarding,
    memory: Memory,
) -> None:
    """Listen for joins in ONBOARDING_CHANNELS and for the onboarding buttons."""
    channels = OnboardingChannels(settings.onboarding_channels)

    @app.event("member_joined_channel")
    def greet_newcomer(event: Json, context: BoltContext, client: WebClient) -> None:
        try:
            joined = MemberJoined.model_validate(event)
        except ValidationError:
            log.warning("member_joined_channel without user or channel: %s", event)
            return
        if joined.channel not in channels.ids(client) or joined.user == context.bot_user_id:
            return
        if not _is_person(client, joined.user):
            return
        if not memory.mark_greeted(channel_id=joined.channel, user_id=joined.user):
            return
        _deliver_greeting(client, settings, joined, onboarding.greeting(joined.user))

    def on_click(build: Callable[[ButtonClick], BlockMessage]) -> Callable[..., None]:
        def listener(body: Json, action: Json, client: WebClient, respond: Respond) -> None:
            click = ButtonClick.from_payload(body, action)
            _show(click, client, respond, build(click))

        return listener

    def _target(click: ButtonClick) -> int:
        return int(click.action_id.rpartition(":")[2])

    def tour_step(click: ButtonClick) -> BlockMessage:
        if onboarding.has_tour:
            _save_tour(memory, click.user_id, _target(click), onboarding.tour_length)
        return onboarding.tour_step(_target(click))

    def tour_done(click: ButtonClick) -> BlockMessage:
        if onboarding.has_tour:
            total = onboarding.tour_length
            _save_tour(memory, click.user_id, total - 1, total, done=True)
        return onboarding.tour_done()

    def quiz_answer(click: ButtonClick) -> BlockMessage:
        run, message = onboarding.quiz_answer(click.value, _target(click))
        if run is not None:
            _save_quiz(memory, click.user_id, run)
        return message

    def quiz_next(click: ButtonClick) -> BlockMessage:
        run, message = onboarding.quiz_next(click.value)
        if run is not None and run.position == 0:  # a stale value restarted the quiz
            _save_quiz(memory, click.user_id, run)
        return message

    app.action(re.compile(rf"^{TOUR_STEP}:\d+$"))(on_click(tour_step))
    app.action(TOUR_DONE)(on_click(tour_done))
    app.action(QUIZ_START)(on_click(lambda click: start_quiz(onboarding, memory, click.user_id)))
    app.action(re.compile(rf"^{QUIZ_ANSWER}:\d+$"))(on_click(quiz_answer))
    app.action(QUIZ_NEXT)(on_click(quiz_next))
    app.action(HOW_TO_ASK)(on_click(lambda _click: onboarding.how_to_ask()))
