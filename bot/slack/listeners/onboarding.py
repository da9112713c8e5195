"""Onboarding channels: greet each newcomer privately once, and drive the tour and quiz buttons.

Screens replace the message their button sits on (`chat.update`, or the `response_url` for an
ephemeral message), so a whole tour or quiz stays one message. A button in a view (the Home tab)
has no message to replace, so its first screen goes to the person's DM.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.models import Subcommand
from bot.core.onboarding import Step
from bot.render.actions import target_index
from bot.render.blocks import BlockMessage
from bot.render.onboarding import render_greeting, render_screen
from bot.slack.delivery import (
    describe_api_error,
    message_payload,
    post_ephemeral,
    post_to_user,
    update_message,
)
from bot.slack.deps import Deps, deps_of
from bot.slack.payloads import ButtonClick, MemberJoined, parse_payload

log = logging.getLogger(__name__)

SLACKBOT = "USLACKBOT"

Json = dict[str, Any]


def save_progress(deps: Deps, user_id: str, step: Step) -> None:
    """Keep the person's place in the tour or quiz for the Home tab, when the step moved it."""
    if step.progress is not None:
        state = step.progress.model_dump()
        deps.memory.save_progress(user_id=user_id, kind=step.progress.kind, state=state)


def start_tour_or_quiz(deps: Deps, user_id: str, subcommand: Subcommand) -> BlockMessage:
    """The first screen of the tour (TOUR) or of a fresh quiz (QUIZ), its progress saved."""
    onboarding = deps.onboarding
    tour = subcommand is Subcommand.TOUR
    step = onboarding.tour_step(0) if tour else onboarding.quiz_start()
    save_progress(deps, user_id, step)
    return render_screen(step.screen)


def _is_person(client: WebClient, user_id: str) -> bool:
    """True for a human account; bots, Slackbot, deleted users and lookup failures are not."""
    if user_id == SLACKBOT:
        return False
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        log.warning("not greeting %s: %s", user_id, describe_api_error(error))
        return False
    return not (user.get("is_bot") or user.get("deleted") or user.get("is_workflow_bot"))


def handle_member_joined(event: Json, context: BoltContext, client: WebClient) -> None:
    """A newcomer in an onboarding channel: greeted privately, once."""
    deps = deps_of(context)
    joined = parse_payload(MemberJoined, event)
    if joined.channel not in deps.channels.ids(client) or joined.user == context.bot_user_id:
        return
    if not _is_person(client, joined.user):
        return
    if not deps.memory.mark_greeted(channel_id=joined.channel, user_id=joined.user):
        return
    message = render_greeting(deps.onboarding.greeting(joined.user))
    if deps.greeting == "dm":
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


def _advance(
    deps: Deps, click: ButtonClick, client: WebClient, respond: Respond, step: Step
) -> None:
    """Save the progress the click made, and show its screen where the button was."""
    save_progress(deps, click.user_id, step)
    _show(click, client, respond, render_screen(step.screen))


def handle_tour_step(
    body: Json, action: Json, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """“Take the tour”, Back or Next: that step of the tour."""
    deps, click = deps_of(context), ButtonClick.from_payload(body, action)
    step = deps.onboarding.tour_step(target_index(click.action_id))
    _advance(deps, click, client, respond, step)


def handle_tour_done(
    body: Json, action: Json, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """Finish: the end of the tour, saved as done."""
    deps, click = deps_of(context), ButtonClick.from_payload(body, action)
    _advance(deps, click, client, respond, deps.onboarding.tour_done())


def handle_quiz_start(
    body: Json, action: Json, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """“Quiz me” or “Try again”: the first question of a fresh run."""
    deps, click = deps_of(context), ButtonClick.from_payload(body, action)
    _advance(deps, click, client, respond, deps.onboarding.quiz_start())


def handle_quiz_answer(
    body: Json, action: Json, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """An option picked: right or wrong, and the explanation."""
    deps, click = deps_of(context), ButtonClick.from_payload(body, action)
    step = deps.onboarding.quiz_answer(click.value, target_index(click.action_id))
    _advance(deps, click, client, respond, step)


def handle_quiz_next(
    body: Json, action: Json, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """“Next question” or “See my score”."""
    deps, click = deps_of(context), ButtonClick.from_payload(body, action)
    _advance(deps, click, client, respond, deps.onboarding.quiz_next(click.value))


def handle_how_to_ask(
    body: Json, action: Json, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """“How to ask me”: the ways to reach the bot."""
    deps, click = deps_of(context), ButtonClick.from_payload(body, action)
    _advance(deps, click, client, respond, Step(screen=deps.onboarding.how_to_ask()))
