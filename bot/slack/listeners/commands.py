"""`/vmdocker`: usage, topics, the comparison, diagrams, the tour, the quiz or a question, answered
to the asker through the response_url. Already acknowledged (by the inbox). One found too late
for its response_url (the bot was restarting) gets an apology by DM instead.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.core.commands import parse_command
from bot.core.models import Reply, Subcommand
from bot.render.answers import answer_message
from bot.render.screens import command_screen, lost_command_message, usage_message
from bot.slack.delivery import post_message, respond_with
from bot.slack.deps import deps_of
from bot.slack.inbox import response_url_expired
from bot.slack.listeners.asking import answer_and_record
from bot.slack.listeners.learning import note_miss
from bot.slack.listeners.onboarding import start_tour_or_quiz
from bot.slack.oauth import workspace_of
from bot.slack.payloads import SlashCommand, parse_payload

log = logging.getLogger(__name__)

COMMAND = "/vmdocker"


def handle_vmdocker_command(
    command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """`/vmdocker [subcommand or question]`: answered privately through the response_url."""
    deps = deps_of(context)
    invocation = parse_payload(SlashCommand, command)
    if response_url_expired(context):
        log.warning("a /vmdocker command came too late for its response_url; apologizing by DM")
        message = lost_command_message(invocation.command, invocation.text)
        post_message(client, invocation.user_id, message)
        return
    parsed = parse_command(invocation.text)
    if parsed.subcommand is Subcommand.ASK:

        def send(reply: Reply | None) -> None:
            experts = bool(deps.experts_channel)
            message = (
                answer_message(reply, ephemeral=True, ask_experts=experts)
                if reply
                else usage_message()
            )
            respond_with(respond, message)

        reply = answer_and_record(
            deps,
            parsed.argument,
            send,
            surface="command",
            user_id=invocation.user_id,
            channel_id=invocation.channel_id,
        )
        # The reply was private: a taught answer goes to the asker's DM with the bot.
        note_miss(
            deps,
            client,
            reply,
            team_id=workspace_of(context),
            user_id=invocation.user_id,
            channel_id=invocation.user_id,
            thread_ts=None,
        )
        return
    if parsed.subcommand in (Subcommand.TOUR, Subcommand.QUIZ):
        message = start_tour_or_quiz(deps, invocation.user_id, parsed.subcommand)
    else:
        message = command_screen(deps.answers.knowledge, parsed)
    respond_with(respond, message)
