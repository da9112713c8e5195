"""Questions in conversations: @mentions in channels (answered in a thread) and direct messages."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.answers import Answers
from bot.listeners.asking import answer_question
from bot.listeners.delivery import post_message
from bot.memory import Memory
from bot.models import MessageEvent
from bot.slack_text import question_text


def is_direct_message_from_a_person(event: dict[str, Any]) -> bool:
    """Matcher: a DM typed by a person; not the bot, another bot, an edit or a deletion."""
    return event.get("channel_type") == "im" and MessageEvent.model_validate(event).from_a_person


def register(app: App, answers: Answers, memory: Memory) -> None:
    @app.event("app_mention")
    def answer_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        mention = MessageEvent.model_validate(event)
        if not mention.from_a_person or mention.user is None:
            return
        message = answer_question(
            answers,
            memory,
            question_text(mention.text, context.bot_user_id),
            surface="mention",
            user_id=mention.user,
            channel_id=mention.channel,
        )
        post_message(client, mention.channel, message, thread_ts=mention.thread_ts or mention.ts)

    @app.event("message", matchers=[is_direct_message_from_a_person])
    def answer_direct_message(
        event: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        dm = MessageEvent.model_validate(event)
        assert dm.user is not None  # the matcher let only people's messages through
        message = answer_question(
            answers,
            memory,
            question_text(dm.text, context.bot_user_id),
            surface="dm",
            user_id=dm.user,
            channel_id=dm.channel,
        )
        post_message(client, dm.channel, message, thread_ts=dm.thread_ts)

    @app.event("message")
    def ignore_other_messages() -> None:
        """Bots, edits, deletions: acknowledged so Slack does not retry, and left alone."""
