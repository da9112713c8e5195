"""Asking the experts. A decline offers "Ask the experts" when EXPERTS_CHANNEL is set; the
asker's click posts the question there with a link to the conversation (nothing is posted
before that click). The first reply in that thread goes back to the asker, once across
workers, and an expert who is an editor is offered "Save to vmdocker" on it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.render.experts import expert_answer, experts_post, save_offer, sent_to_experts
from bot.slack.delivery import describe_api_error, post_message
from bot.slack.deps import deps_of
from bot.slack.listeners.events import is_a_persons_reply_in_a_thread
from bot.slack.listeners.learning import NO_STORE
from bot.slack.oauth import workspace_of
from bot.slack.payloads import ButtonClick, MessageEvent, parse_payload
from bot.store.records import NewExpertQuestion

log = logging.getLogger(__name__)


def _public(channel: str | None) -> bool:
    return bool(channel) and str(channel).startswith(("C", "G"))


def handle_ask_experts(
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """Post the asker's question to the experts and remember where to bring the answer: the
    card's thread in a channel or DM, or the asker's DM for a private (ephemeral) card."""
    deps = deps_of(context)
    click = ButtonClick.from_payload(body, action)
    question = click.value.strip()
    if not deps.experts_channel or not question:
        return
    if deps.learning is None:
        respond(text=NO_STORE, response_type="ephemeral", replace_original=False)
        return
    private = click.is_ephemeral or not click.channel_id
    asker_channel = click.user_id if private else str(click.channel_id)
    asker_thread = None if private else click.reply_thread
    link = None
    if _public(click.channel_id) and not click.is_ephemeral and asker_thread:
        try:
            found = client.chat_getPermalink(channel=asker_channel, message_ts=asker_thread)
            link = str(found["permalink"])
        except SlackApiError as error:
            log.warning("no link to the question: Slack API %s", describe_api_error(error))
    message = experts_post(asker=click.user_id, question=question, link=link)
    posted = client.chat_postMessage(
        channel=deps.experts_channel, text=message.text, blocks=message.blocks
    )
    recorded = deps.learning.record_expert_question(
        NewExpertQuestion(
            team_id=workspace_of(context),
            asker_id=click.user_id,
            asker_channel=asker_channel,
            asker_thread_ts=asker_thread,
            question=question,
            experts_channel=deps.experts_channel,
            experts_ts=str(posted["ts"]),
        )
    )
    text = sent_to_experts(deps.experts_channel) if recorded else NO_STORE
    respond(text=text, response_type="ephemeral", replace_original=False)


def is_expert_reply(event: dict[str, Any], context: BoltContext) -> bool:
    """Matcher: a person's reply inside a thread of EXPERTS_CHANNEL."""
    experts = deps_of(context).experts_channel
    return (
        bool(experts) and event.get("channel") == experts and is_a_persons_reply_in_a_thread(event)
    )


def handle_expert_reply(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The first reply in an experts' thread goes to the asker; later ones stay there."""
    deps = deps_of(context)
    reply = parse_payload(MessageEvent, event)
    if deps.learning is None or reply.user is None or not reply.thread_ts:
        return
    asked = deps.learning.claim_expert_reply(
        experts_channel=reply.channel,
        experts_ts=reply.thread_ts,
        expert_id=reply.user,
        answer=reply.text,
        answer_ts=reply.ts,
    )
    if asked is None:
        return
    message = expert_answer(
        asker=asked.asker_id, expert=reply.user, question=asked.question, answer=reply.text
    )
    post_message(client, asked.asker_channel, message, thread_ts=asked.asker_thread_ts)
    if deps.editors.includes(client, reply.user):
        offer = save_offer(asked.id)
        client.chat_postEphemeral(
            channel=reply.channel,
            user=reply.user,
            thread_ts=reply.thread_ts,
            text=offer.text,
            blocks=offer.blocks,
        )
