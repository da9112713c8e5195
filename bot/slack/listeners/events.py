"""Questions in conversations: @mentions in channels (answered in a thread) and direct messages."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.commands import parse_command
from bot.core.models import Reply, Subcommand
from bot.core.text import clean_question
from bot.render.answers import Surface, answer_message
from bot.render.screens import diagram_text_message, usage_message
from bot.slack.delivery import describe_api_error, post_message, replied_since, show_diagram
from bot.slack.deps import Deps, deps_of
from bot.slack.inbox import reply_sent, was_resumed
from bot.slack.listeners.asking import answer_and_record
from bot.slack.listeners.learning import note_miss
from bot.slack.listeners.onboarding import start_tour_or_quiz
from bot.slack.oauth import workspace_of
from bot.slack.payloads import MessageEvent, parse_payload

log = logging.getLogger(__name__)

FOLLOW_UP_WINDOW = timedelta(days=1)  # after the bot's last reply in a thread


def is_direct_message_from_a_person(event: dict[str, Any]) -> bool:
    """Matcher: a DM typed by a person; not the bot, another bot, an edit or a deletion."""
    if event.get("channel_type") != "im":
        return False
    try:
        return MessageEvent.model_validate(event).from_a_person
    except ValidationError:  # a shape we do not rely on: not a question
        return False


def is_a_persons_reply_in_a_thread(event: dict[str, Any]) -> bool:
    """A person's reply inside a thread (not the thread's first message)."""
    if not event.get("thread_ts") or event.get("thread_ts") == event.get("ts"):
        return False
    try:
        return MessageEvent.model_validate(event).from_a_person
    except ValidationError:
        return False


def is_thread_follow_up(event: dict[str, Any]) -> bool:
    """Matcher: a person's reply inside a channel thread (not the thread's first message)."""
    return event.get("channel_type") in ("channel", "group") and is_a_persons_reply_in_a_thread(
        event
    )


def answer_in_conversation(
    deps: Deps,
    client: WebClient,
    message: MessageEvent,
    *,
    surface: Surface,
    thread_ts: str | None,
    context: BoltContext,
    only_if_sure: bool = False,
) -> None:
    """Answer `message` where it was asked: the answer card first, then the diagram's PNG in
    the same thread (the workspace's upload of it, or as text if the upload fails).
    `only_if_sure`: say nothing unless the reply is an answer. A question not answered outright
    is kept to be taught.

    The picture travels in its own message, never in the card: an image block naming a file
    Slack refuses (`invalid_blocks`: deleted, or uploaded a moment before) would lose the whole
    answer."""
    assert message.user is not None  # callers pass only messages typed by people
    if was_resumed(context) and replied_since(
        client, message.channel, thread_ts, message.ts, context.bot_user_id or ""
    ):
        log.warning("%s in %s was answered before a worker stopped", message.ts, message.channel)
        reply_sent(context)
        return

    def send(reply: Reply | None) -> None:
        if surface == "thread" and thread_ts:  # a follow-up in this thread may come any moment
            deps.memory.mark_thread(channel_id=message.channel, thread_ts=thread_ts)
        if reply is None:
            post_message(client, message.channel, usage_message(), thread_ts=thread_ts)
            return
        diagram_as_file = reply.diagram is not None
        card = answer_message(
            reply,
            surface=surface,
            diagram_as_file=diagram_as_file,
            ask_experts=bool(deps.experts_channel),
        )
        post_message(client, message.channel, card, thread_ts=thread_ts)
        reply_sent(context)
        if reply.diagram and not show_diagram(
            client,
            deps.uploads,
            deps.diagram_key(context.team_id, reply.diagram.id),
            channel=message.channel,
            thread_ts=thread_ts,
            spec=reply.diagram,
        ):
            diagram = diagram_text_message(reply.diagram)
            post_message(client, message.channel, diagram, thread_ts=thread_ts)

    reply = answer_and_record(
        deps,
        message.text,
        send,
        surface=surface,
        user_id=message.user,
        channel_id=message.channel,
        only_if_sure=only_if_sure,
    )
    note_miss(
        deps,
        client,
        reply,
        team_id=workspace_of(context),
        user_id=message.user,
        channel_id=message.channel,
        thread_ts=thread_ts,
    )


def handle_app_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """An @mention in a channel: answered in its thread."""
    deps = deps_of(context)
    mention = parse_payload(MessageEvent, event)
    if mention.from_a_person:
        thread_ts = mention.thread_ts or mention.ts
        answer_in_conversation(
            deps,
            client,
            mention,
            surface="thread",
            thread_ts=thread_ts,
            context=context,
        )


def handle_direct_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A direct message typed by a person: answered in the DM."""
    deps = deps_of(context)
    dm = parse_payload(MessageEvent, event)
    assert dm.user is not None  # the matcher's promise
    command = parse_command(clean_question(dm.text))
    if command.subcommand in (Subcommand.TOUR, Subcommand.QUIZ):  # "tour", "quiz" (prompts)
        screen = start_tour_or_quiz(deps, dm.user, command.subcommand)
        post_message(client, dm.channel, screen, thread_ts=dm.thread_ts)
        return
    if dm.thread_ts:
        show_working(client, dm.channel, dm.thread_ts)
    answer_in_conversation(
        deps,
        client,
        dm,
        surface="dm",
        thread_ts=dm.thread_ts,
        context=context,
    )


def show_working(client: WebClient, channel: str, thread_ts: str) -> None:
    """The "is looking it up…" status of an assistant thread while the answer is worked out;
    Slack clears it when the reply is posted. A DM thread that is no assistant thread refuses
    it, which changes nothing."""
    try:
        client.assistant_threads_setStatus(
            channel_id=channel, thread_ts=thread_ts, status="is looking it up…"
        )
    except SlackApiError as error:
        log.debug("no thread status: Slack API %s", describe_api_error(error))


def handle_thread_follow_up(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A later message in a thread the bot answered in (within FOLLOW_UP_WINDOW), without a
    mention: answered there only when the bot is sure, never with a decline or a "did you
    mean" (people may be talking to each other). A mention is `handle_app_mention`'s."""
    deps = deps_of(context)
    message = parse_payload(MessageEvent, event)
    assert message.thread_ts is not None and message.user is not None  # the matcher's promise
    if context.bot_user_id and f"<@{context.bot_user_id}" in message.text:
        return
    if not deps.memory.answered_thread(
        channel_id=message.channel, thread_ts=message.thread_ts, within=FOLLOW_UP_WINDOW
    ):
        return
    answer_in_conversation(
        deps,
        client,
        message,
        surface="thread",
        thread_ts=message.thread_ts,
        context=context,
        only_if_sure=True,
    )


def ignore_other_messages() -> None:
    """Bots, edits, deletions: acknowledged so Slack does not retry, and left alone."""


def ignore_unhandled_event() -> None:
    """A signed event of a type the bot does not handle: acknowledged with 200 (Slack counts a
    404 as a failed delivery), and left alone."""
