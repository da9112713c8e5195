""" "Save to vmdocker": a message shortcut (and a button offered to experts) opens a modal
prefilled with the thread's question and the answer; submitted by an editor, it is kept as a
draft entry that answers nobody until exported (`vmdocker drafts --export`) and committed."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.drafts import parse_tags
from bot.render.actions import SAVE_ANSWER, SAVE_QUESTION, SAVE_RELATED, SAVE_TAGS, SAVE_TITLE
from bot.render.drafts import save_modal, saved_notice
from bot.render.learning import notice_view
from bot.slack.delivery import describe_api_error
from bot.slack.deps import Deps, deps_of
from bot.slack.listeners.home import publish_home
from bot.slack.listeners.learning import NO_STORE
from bot.slack.oauth import workspace_of
from bot.slack.payloads import ButtonClick, MessageShortcut, ViewSubmission
from bot.store.records import NewDraft

log = logging.getLogger(__name__)

NOT_AN_EDITOR = (
    "Only knowledge editors can save answers to vmdocker. "
    "An admin can add you to KNOWLEDGE_EDITORS."
)


def permalink(client: WebClient, channel: str, ts: str) -> str:
    """A link to the message (`chat.getPermalink`); Slack's redirect to the conversation if
    Slack refuses it."""
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError as error:
        log.warning("no permalink for a saved message: Slack API %s", describe_api_error(error))
        return f"https://slack.com/app_redirect?channel={channel}"


def thread_parent(client: WebClient, channel: str, thread_ts: str) -> str:
    """The text of a thread's first message ("" if Slack will not say)."""
    try:
        replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=1)
    except SlackApiError as error:
        log.warning("could not read the thread's question: Slack API %s", describe_api_error(error))
        return ""
    messages = replies.get("messages") or []
    return str(messages[0].get("text") or "") if messages else ""


def open_save_modal(
    deps: Deps,
    client: WebClient,
    trigger_id: str,
    user_id: str,
    *,
    question: str,
    answer: str,
    source_url: str,
) -> None:
    """The save modal for an editor; a refusal for anyone else, or while there is no store."""
    if not deps.editors.includes(client, user_id):
        client.views_open(trigger_id=trigger_id, view=notice_view("vmdocker", NOT_AN_EDITOR))
        return
    if deps.learning is None:
        client.views_open(trigger_id=trigger_id, view=notice_view("vmdocker", NO_STORE))
        return
    view = save_modal(
        question=question,
        answer=answer,
        source_url=source_url,
        knowledge=deps.answers.knowledge,
    )
    client.views_open(trigger_id=trigger_id, view=view)


def handle_save_shortcut(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The message shortcut: the message is the answer, its thread's first message the
    question (none when the message starts no thread of its own)."""
    ack()
    shortcut = MessageShortcut.from_payload(body)
    deps = deps_of(context)
    parent = shortcut.parent_ts
    open_save_modal(
        deps,
        client,
        shortcut.trigger_id,
        shortcut.user_id,
        question=thread_parent(client, shortcut.channel_id, parent) if parent else "",
        answer=shortcut.text,
        source_url=permalink(client, shortcut.channel_id, shortcut.message_ts),
    )


def handle_save_expert_reply(
    body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """ "Save to vmdocker" offered to an expert under their reply: the asker's question and the
    expert's answer, prefilled."""
    deps = deps_of(context)
    click = ButtonClick.from_payload(body, action)
    if not click.trigger_id or deps.learning is None or not click.value.isdigit():
        return
    asked = deps.learning.expert_question(int(click.value))
    if asked is None or asked.answer is None or asked.answer_ts is None:
        client.views_open(trigger_id=click.trigger_id, view=notice_view("vmdocker", NO_STORE))
        return
    open_save_modal(
        deps,
        client,
        click.trigger_id,
        click.user_id,
        question=asked.question,
        answer=asked.answer,
        source_url=permalink(client, asked.experts_channel, asked.answer_ts),
    )


def handle_save_submission(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The save modal submitted: checked, then kept as a draft; the editor is told."""
    deps = deps_of(context)
    form = ViewSubmission.from_payload(body)
    if not deps.editors.includes(client, form.user_id):
        ack(response_action="errors", errors={SAVE_TITLE: NOT_AN_EDITOR})
        return
    if deps.learning is None:
        ack(response_action="errors", errors={SAVE_TITLE: NO_STORE})
        return
    title = " ".join(form.text(SAVE_TITLE, SAVE_TITLE).split())
    question = form.text(SAVE_QUESTION, SAVE_QUESTION).strip()
    answer = form.text(SAVE_ANSWER, SAVE_ANSWER).strip()
    tags, bad_tags = parse_tags(form.text(SAVE_TAGS, SAVE_TAGS))
    required = ((SAVE_TITLE, title), (SAVE_QUESTION, question), (SAVE_ANSWER, answer))
    errors = {block: "Required." for block, value in required if not value}
    if bad_tags:
        errors[SAVE_TAGS] = f"Not a tag: {', '.join(bad_tags)} (letters, digits, hyphens)"
    if errors:
        ack(response_action="errors", errors=errors)
        return
    known = deps.answers.knowledge.entries
    draft = NewDraft(
        team_id=workspace_of(context),
        title=title,
        question=question,
        answer=answer,
        tags=tags,
        related=[e for e in form.selected_all(SAVE_RELATED, SAVE_RELATED) if e in known],
        source_url=form.private_metadata or "https://slack.com/",
        saved_by=form.user_id,
    )
    if deps.learning.save_draft(draft) is None:
        ack(response_action="errors", errors={SAVE_TITLE: NO_STORE})
        return
    ack(response_action="update", view=notice_view("Saved", saved_notice(draft.title)))
    publish_home(deps, client, form.user_id, context)
