"""Buttons: open a topic (suggestions, related topics, the topic list), share, and 👍/👎.

Clicks are kept and acknowledged before these run (`bot.slack.inbox`)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.render.actions import FEEDBACK, FEEDBACK_UP
from bot.render.screens import image_failed_message, shared_message, thanks_message, topic_message
from bot.slack.delivery import post_message, post_to_user, respond_with, show_diagram
from bot.slack.deps import deps_of
from bot.slack.payloads import ButtonClick

log = logging.getLogger(__name__)


def handle_open_topic(
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """The topic's card where the button was: same thread, privately, or in the DM."""
    knowledge = deps_of(context).answers.knowledge
    click = ButtonClick.from_payload(body, action)
    if click.in_view or click.channel_id is None:
        post_to_user(client, click.user_id, topic_message(knowledge, click.value))
    elif click.is_ephemeral:
        respond_with(respond, topic_message(knowledge, click.value, ephemeral=True))
    else:
        message = topic_message(knowledge, click.value)
        post_message(client, click.channel_id, message, thread_ts=click.reply_thread)


def handle_share(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """Post the public copy of an ephemeral answer, then remove the private one."""
    click = ButtonClick.from_payload(body, action)
    message = shared_message(deps_of(context).answers.knowledge, click.value, click.user_id)
    if message is None:
        respond(text="That answer is no longer available.", replace_original=False)
        return
    respond_with(respond, message, response_type="in_channel")
    respond(delete_original=True)


def handle_show_diagram_image(
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """Ephemeral answers cannot carry files: show the diagram's PNG in the channel (uploaded
    once per workspace, `show_diagram`)."""
    deps = deps_of(context)
    click = ButtonClick.from_payload(body, action)
    spec = deps.answers.knowledge.diagrams.get(click.value)
    thread_ts = None if click.is_ephemeral else click.reply_thread
    shown = (
        show_diagram(
            client,
            deps.uploads,
            deps.diagram_key(context.team_id, spec.id),
            channel=click.channel_id,
            thread_ts=thread_ts,
            spec=spec,
        )
        if spec and click.channel_id
        else False
    )
    if not shown:
        respond_with(respond, image_failed_message())


def vote_of(click: ButtonClick) -> tuple[int, str]:
    """+1 or -1 and the entry id: from Slack's feedback buttons ("up:<id>", "down:<id>"), or
    from the 👍/👎 buttons of cards posted before them (the action id says which)."""
    if click.action_id == FEEDBACK:
        direction, _, entry_id = click.value.partition(":")
        return (1 if direction == "up" else -1), entry_id
    return (1 if click.action_id == FEEDBACK_UP else -1), click.value


def handle_feedback(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """👍 or 👎 on an answer: recorded for a known entry, thanked for either way."""
    deps = deps_of(context)
    click = ButtonClick.from_payload(body, action)
    vote, entry_id = vote_of(click)
    if entry_id in deps.answers.knowledge.entries:
        deps.memory.record_feedback(entry_id=entry_id, user_id=click.user_id, vote=vote)
    else:
        log.warning("feedback on unknown entry %r not recorded", entry_id[:60])
    if click.response_url:
        respond_with(respond, thanks_message(vote))
