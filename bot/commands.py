"""`/vmdocker` text -> what to answer: help, topics, compare, diagram [name], tour, quiz, or a
question."""

from __future__ import annotations

from bot.answers import Answers
from bot.models import BlockMessage, ParsedCommand, Subcommand
from bot.slack_messages import (
    comparison_message,
    diagram_message,
    topics_message,
    usage_message,
)

_KEYWORDS = {
    "help": Subcommand.HELP,
    "?": Subcommand.HELP,
    "topics": Subcommand.TOPICS,
    "topic": Subcommand.TOPICS,
    "list": Subcommand.TOPICS,
    "compare": Subcommand.COMPARE,
    "comparison": Subcommand.COMPARE,
    "diagram": Subcommand.DIAGRAM,
    "diagrams": Subcommand.DIAGRAM,
    "tour": Subcommand.TOUR,
    "quiz": Subcommand.QUIZ,
}


def parse_command(text: str) -> ParsedCommand:
    """Read the command text; a first word that is no subcommand makes the whole text a question.

    `compare` and `topics` only count alone, so "compare VM and container boot" stays a question.
    """
    words = text.split()
    if not words:
        return ParsedCommand(subcommand=Subcommand.HELP)
    first, rest = words[0].casefold(), " ".join(words[1:])
    subcommand = _KEYWORDS.get(first)
    if subcommand is None or (subcommand is not Subcommand.DIAGRAM and rest):
        return ParsedCommand(subcommand=Subcommand.ASK, argument=" ".join(words))
    return ParsedCommand(subcommand=subcommand, argument=rest)


def screen_message(answers: Answers, command: ParsedCommand) -> BlockMessage:
    """The answer to every subcommand but ASK, TOUR and QUIZ (those need the person and memory)."""
    match command.subcommand:
        case Subcommand.TOPICS:
            return topics_message(answers.knowledge)
        case Subcommand.COMPARE:
            return comparison_message(answers.knowledge, ephemeral=True)
        case Subcommand.DIAGRAM:
            return diagram_message(answers.knowledge, command.argument, ephemeral=True)
        case _:
            return usage_message()
