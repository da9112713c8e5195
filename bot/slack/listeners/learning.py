"""Teaching the bot in Slack. A question it did not answer outright is kept with where its
asker can be answered (and posted once to MISSES_CHANNEL with Teach); an editor's Teach opens
a modal to pick the entry that answers it, or set it aside; the wording is stored, every worker
answers with it within seconds (`Serving.refresh_learned`), and the asker gets the answer.

Only editors (`KNOWLEDGE_EDITORS`, admins) may: the button and the modal both refuse anyone
else, whatever a click or a crafted submission says."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.answers import entry_reply
from bot.core.models import Band, Entry, Reply
from bot.render.actions import OUT_OF_SCOPE, TEACH_ENTRY, TEACH_ENTRY_BLOCK
from bot.render.answers import Surface
from bot.render.learning import (
    miss_handled,
    miss_post,
    notice_view,
    taught_answer,
    teach_modal,
    teach_result,
)
from bot.slack.delivery import describe_api_error, message_payload, post_message
from bot.slack.deps import Deps, deps_of
from bot.slack.listeners.home import publish_home
from bot.slack.payloads import ButtonClick, ViewSubmission
from bot.store.records import Miss

log = logging.getLogger(__name__)

NOT_AN_EDITOR = (
    "Only knowledge editors can teach vmdocker. An admin can add you to KNOWLEDGE_EDITORS."
)
NO_STORE = "Teaching needs the bot's database, which cannot be reached just now."
GONE = "That question is no longer in the bot's database (kept RETENTION_DAYS at most)."


def note_miss(
    deps: Deps,
    client: WebClient,
    reply: Reply | None,
    *,
    team_id: str,
    user_id: str,
    channel_id: str,
    thread_ts: str | None,
) -> None:
    """Keep a declined or unsure question to be taught (with where to answer its asker), and
    post it once to MISSES_CHANNEL. Nothing is kept without question text or a database."""
    if reply is None or reply.band is Band.ANSWER or deps.learning is None:
        return
    miss_id = deps.learning.record_miss(
        team_id=team_id,
        user_id=user_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        question=reply.question,
    )
    if miss_id is None or not deps.misses_channel:
        return
    miss = deps.learning.miss(miss_id)
    if miss is not None:
        posted = client.chat_postMessage(
            channel=deps.misses_channel, **message_payload(miss_post(miss))
        )
        deps.learning.set_miss_post(miss_id, channel=deps.misses_channel, ts=str(posted["ts"]))


def _mark_handled(client: WebClient, miss: Miss, *, editor: str, entry: Entry | None) -> None:
    """Replace the miss's post in MISSES_CHANNEL (if any) by what was done, without Teach."""
    if not miss.post_channel or not miss.post_ts:
        return
    message = miss_handled(miss, editor=editor, entry=entry)
    try:
        client.chat_update(channel=miss.post_channel, ts=miss.post_ts, **message_payload(message))
    except SlackApiError as error:
        log.warning("could not update the miss's post: Slack API %s", describe_api_error(error))


def _notice(client: WebClient, trigger_id: str, text: str) -> None:
    client.views_open(trigger_id=trigger_id, view=notice_view("vmdocker", text))


def handle_teach_click(
    body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Teach, on the Home tab or in MISSES_CHANNEL: the modal for an editor, a refusal for
    anyone else."""
    deps = deps_of(context)
    click = ButtonClick.from_payload(body, action)
    if not click.trigger_id:
        log.warning("a Teach click without a trigger_id: no modal can open")
        return
    if not deps.editors.includes(client, click.user_id):
        _notice(client, click.trigger_id, NOT_AN_EDITOR)
        return
    if deps.learning is None:
        _notice(client, click.trigger_id, NO_STORE)
        return
    miss = deps.learning.miss(int(click.value)) if click.value.isdigit() else None
    if miss is None:
        _notice(client, click.trigger_id, GONE)
    elif miss.status != "open":
        _notice(client, click.trigger_id, "Someone has already taught or set aside this one.")
    else:
        client.views_open(
            trigger_id=click.trigger_id, view=teach_modal(miss, deps.answers.knowledge)
        )


def _self_check(deps: Deps, entry: Entry, question: str) -> Entry | None:
    """The entry the wording is answered with once taught (None: not answered outright)."""
    answers = deps.answers.with_learned({entry.id: [question]})
    routed = answers.routes_to(question)
    return answers.entry(routed) if routed else None


def handle_teach_submission(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The Teach modal submitted: store the wording for the entry picked (or set the question
    aside), tell the editor what the self-check says, and send the asker the answer once."""
    deps = deps_of(context)
    submission = ViewSubmission.from_payload(body)

    def refuse(text: str) -> None:
        ack(response_action="errors", errors={TEACH_ENTRY_BLOCK: text})

    if not deps.editors.includes(client, submission.user_id):
        refuse(NOT_AN_EDITOR)
        return
    if deps.learning is None:
        refuse(NO_STORE)
        return
    metadata = submission.private_metadata
    miss = deps.learning.miss(int(metadata)) if metadata.isdigit() else None
    if miss is None:
        refuse(GONE)
        return
    choice = submission.selected(TEACH_ENTRY_BLOCK, TEACH_ENTRY)
    entry = deps.answers.entry(choice) if choice and choice != OUT_OF_SCOPE else None
    if entry is None and choice != OUT_OF_SCOPE:
        refuse("Pick the entry that answers it, or “Out of scope”.")
        return
    stored = deps.learning.learn(
        team_id=submission.team_id or miss.team_id,
        question=miss.question,
        entry_id=entry.id if entry else None,
        taught_by=submission.user_id,
    )
    if not stored:
        refuse(NO_STORE)
        return
    first = deps.learning.resolve_miss(
        miss.id, status="taught" if entry else "out_of_scope", by=submission.user_id
    )
    routed = _self_check(deps, entry, miss.question) if entry else None
    result = teach_result(miss.question, entry, routed)
    ack(response_action="update", view=notice_view("Taught" if entry else "Set aside", result))
    if first:
        _mark_handled(client, miss, editor=submission.user_id, entry=entry)
        publish_home(deps, client, submission.user_id, context)
    if entry is not None and first:
        reply = entry_reply(entry, deps.answers.knowledge, question=miss.question)
        surface: Surface = "thread" if miss.channel_id.startswith(("C", "G")) else "dm"
        message = taught_answer(
            reply, asker=miss.user_id, editor=submission.user_id, surface=surface
        )
        post_message(client, miss.channel_id, message, thread_ts=miss.thread_ts)
