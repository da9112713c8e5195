"""Workflow Builder steps (Bolt custom functions): "Answer a question" and "Send the VM vs Docker
primer to a person". Each run ends with `complete` (its outputs) or `fail` (a message the
workflow's builder can act on), whatever happens."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import BoltContext, Complete, Fail
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.models import Band
from bot.core.text import clean_question
from bot.render.onboarding import render_greeting
from bot.render.text import render_text
from bot.slack.delivery import describe_api_error, post_to_user
from bot.slack.deps import deps_of

log = logging.getLogger(__name__)

ANSWER_FUNCTION = "answer_question"  # callback ids, as the manifest's `functions` names them
PRIMER_FUNCTION = "send_primer"
MAX_OUTPUT_CHARS = 3000  # a workflow passes the answer on; a message takes this much text
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def handle_answer_question(
    inputs: dict[str, Any], complete: Complete, fail: Fail, context: BoltContext
) -> None:
    """Outputs the answer as text, its topic and whether the bot was sure."""
    question = clean_question(str(inputs.get("question") or ""))
    if not question:
        fail("The step needs a question to answer: its Question input is empty.")
        return
    try:
        reply = deps_of(context).answers.reply_to(question)
    except Exception:
        fail("vmdocker could not work out an answer; the app's log says why.")
        raise
    complete(
        outputs={
            "answer": render_text(reply)[:MAX_OUTPUT_CHARS],
            "entry_id": reply.entry_id or "",
            "matched": reply.band is Band.ANSWER,
        }
    )


def handle_send_primer(
    inputs: dict[str, Any],
    client: WebClient,
    complete: Complete,
    fail: Fail,
    context: BoltContext,
) -> None:
    """DMs the person the newcomers' primer (the same as the onboarding greeting)."""
    user_id = str(inputs.get("user_id") or "")
    if not USER_ID.match(user_id):
        fail(f"The step needs a person to send the primer to, not {user_id[:40]!r}.")
        return
    greeting = render_greeting(deps_of(context).onboarding.greeting(user_id))
    try:
        post_to_user(client, user_id, greeting)
    except SlackApiError as error:
        fail(f"Slack refused to message that person: {describe_api_error(error)}")
        return
    complete(outputs={"sent": True})
