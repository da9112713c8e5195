"""`/vmdocker`: usage, topics, the comparison, diagrams, the tour, the quiz or a question, answered
to the asker."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from bot.answers import Answers
from bot.commands import parse_command, screen_message
from bot.listeners.asking import ask
from bot.listeners.delivery import respond_with
from bot.listeners.onboarding import start_quiz, start_tour
from bot.memory import Memory
from bot.models import SlashCommand, Subcommand
from bot.onboarding import Onboarding
from bot.slack_messages import answer_message, usage_message
from bot.slack_text import question_text

COMMAND = "/vmdocker"


def register(app: App, answers: Answers, memory: Memory) -> None:
    onboarding = Onboarding(answers)

    @app.command(COMMAND)
    def answer_command(command: dict[str, Any], respond: Respond) -> None:
        """Already acknowledged (`bot.app.acknowledge_first`): answers via the response_url."""
        invocation = SlashCommand.model_validate(command)
        parsed = parse_command(question_text(invocation.text))
        if parsed.subcommand is Subcommand.ASK:
            reply = ask(
                answers,
                memory,
                parsed.argument,
                surface="command",
                user_id=invocation.user_id,
                channel_id=invocation.channel_id,
            )
            message = answer_message(reply, ephemeral=True) if reply else usage_message()
        elif parsed.subcommand is Subcommand.TOUR:
            message = start_tour(onboarding, memory, invocation.user_id)
        elif parsed.subcommand is Subcommand.QUIZ:
            message = start_quiz(onboarding, memory, invocation.user_id)
        else:
            message = screen_message(answers, parsed)
        respond_with(respond, message)
