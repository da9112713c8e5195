"""Questions in conversations: @mentions in channels (answered in a thread) and direct messages."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.answers import Answers
from bot.listeners.asking import ask
from bot.listeners.delivery import post_message, share_diagram
from bot.memory import Memory
from bot.models import MessageEvent
from bot.replies.blocks import Surface
from bot.slack_messages import answer_message, usage_message
from bot.slack_text import question_text

log = logging.getLogger(__name__)


def is_direct_message_from_a_person(event: dict[str, Any]) -> bool:
    """Matcher: a DM typed by a person; not the bot, another bot, an edit or a deletion."""
    if event.get("channel_type") != "im":
        return False
    try:
        return MessageEvent.model_validate(event).from_a_person
    except ValidationError:  # a shape we do not rely on: not a question
        return False


def first_delivery(memory: Memory, body: dict[str, Any]) -> bool:
    """True unless this event was already claimed: Slack retries an event (X-Slack-Retry-Num,
    same event_id) when its ack was slow, and a retry may reach another worker. Called first
    thing in the listener, after the ack; the store's claim is atomic across workers."""
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or memory.claim_event(event_id):
        return True
    log.info("event %s already handled; not answering again", event_id)
    return False


def answer_in_conversation(
    answers: Answers,
    memory: Memory,
    client: WebClient,
    message: MessageEvent,
    *,
    surface: Surface,
    thread_ts: str | None,
    bot_user_id: str | None,
) -> None:
    """Answer `message` where it was asked: the answer card first, then the diagram's PNG
    shared in the same thread (or as text if the upload fails).

    The picture is the file share alone, not also an image block in the card: that would show it
    twice, and an image block naming a file uploaded a moment before can be refused
    (`invalid_blocks`), which would lose the whole answer."""
    assert message.user is not None  # callers pass only messages typed by people
    reply = ask(
        answers,
        memory,
        question_text(message.text, bot_user_id),
        surface=surface,
        user_id=message.user,
        channel_id=message.channel,
    )
    if reply is None:
        post_message(client, message.channel, usage_message(), thread_ts=thread_ts)
        return
    answer = answer_message(reply, surface=surface, diagram_as_file=reply.diagram is not None)
    post_message(client, message.channel, answer, thread_ts=thread_ts)
    if reply.diagram:
        share_diagram(client, message.channel, thread_ts, reply.diagram)


def register(app: App, answers: Answers, memory: Memory) -> None:
    @app.event("app_mention")
    def answer_mention(
        body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        mention = MessageEvent.model_validate(event)
        if mention.from_a_person and first_delivery(memory, body):
            answer_in_conversation(
                answers,
                memory,
                client,
                mention,
                surface="thread",
                thread_ts=mention.thread_ts or mention.ts,
                bot_user_id=context.bot_user_id,
            )

    @app.event("message", matchers=[is_direct_message_from_a_person])
    def answer_direct_message(
        body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        if not first_delivery(memory, body):
            return
        dm = MessageEvent.model_validate(event)
        answer_in_conversation(
            answers,
            memory,
            client,
            dm,
            surface="dm",
            thread_ts=dm.thread_ts,
            bot_user_id=context.bot_user_id,
        )

    @app.event("message")
    def ignore_other_messages() -> None:
        """Bots, edits, deletions: acknowledged so Slack does not retry, and left alone."""
