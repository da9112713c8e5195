"""`/vmdocker`: usage, topics, the comparison, diagrams or a question, answered to the asker."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.answers import Answers
from bot.commands import Subcommand, parse_command, screen_message
from bot.listeners.asking import answer_question
from bot.listeners.delivery import respond_with
from bot.memory import Memory
from bot.models import SlashCommand
from bot.slack_text import question_text

COMMAND = "/vmdocker"


def register(app: App, answers: Answers, memory: Memory) -> None:
    @app.command(COMMAND)
    def answer_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        invocation = SlashCommand.model_validate(command)
        parsed = parse_command(question_text(invocation.text))
        if parsed.subcommand is Subcommand.ASK:
            message = answer_question(
                answers,
                memory,
                parsed.argument,
                surface="command",
                user_id=invocation.user_id,
                channel_id=invocation.channel_id,
                ephemeral=True,
            )
        else:
            message = screen_message(answers, parsed)
        respond_with(respond, message)
