"""Buttons: open a topic (suggestions, related topics, the topic list), share, and 👍/👎.

Clicks are acknowledged before these run (`bot.app.acknowledge_first`)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.answers import Answers
from bot.listeners.delivery import (
    post_message,
    post_to_user,
    respond_with,
    upload_diagram_or_none,
)
from bot.memory import Memory
from bot.models import ButtonClick
from bot.replies.blocks import FEEDBACK_DOWN, FEEDBACK_UP, OPEN_TOPIC, SHARE, SHOW_DIAGRAM_IMAGE
from bot.slack_messages import (
    image_failed_message,
    shared_message,
    thanks_message,
    topic_message,
)

VOTES = {FEEDBACK_UP: 1, FEEDBACK_DOWN: -1}


def register(app: App, answers: Answers, memory: Memory) -> None:
    @app.action(re.compile(rf"^{OPEN_TOPIC}(:|$)"))
    def open_topic(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """The topic's card where the button was: same thread, privately, or in the DM."""
        click = ButtonClick.from_payload(body, action)
        if click.in_view or click.channel_id is None:
            post_to_user(client, click.user_id, topic_message(answers, click.value))
        elif click.is_ephemeral:
            respond_with(respond, topic_message(answers, click.value, ephemeral=True))
        else:
            message = topic_message(answers, click.value)
            post_message(client, click.channel_id, message, thread_ts=click.reply_thread)

    @app.action(SHARE)
    def share_in_channel(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        """Post the public copy of an ephemeral answer, then remove the private one."""
        click = ButtonClick.from_payload(body, action)
        message = shared_message(answers, click.value, click.user_id)
        if message is None:
            respond(text="That answer is no longer available.", replace_original=False)
            return
        respond_with(respond, message, response_type="in_channel")
        respond(delete_original=True)

    @app.action(re.compile(rf"^{SHOW_DIAGRAM_IMAGE}(:|$)"))
    def show_diagram_image(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """Ephemeral answers cannot carry files: upload the diagram's PNG into the channel."""
        click = ButtonClick.from_payload(body, action)
        spec = answers.knowledge.diagrams.get(click.value)
        thread_ts = None if click.is_ephemeral else click.reply_thread
        uploaded = (
            upload_diagram_or_none(client, click.channel_id, thread_ts, spec)
            if spec and click.channel_id
            else None
        )
        if uploaded is None:
            respond_with(respond, image_failed_message())

    @app.action(FEEDBACK_UP)
    @app.action(FEEDBACK_DOWN)
    def record_feedback(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        click = ButtonClick.from_payload(body, action)
        vote = VOTES[click.action_id]
        memory.record_feedback(entry_id=click.value, user_id=click.user_id, vote=vote)
        if click.response_url:
            respond_with(respond, thanks_message(vote))
