"""`/vmdocker` text -> which subcommand: help, topics, compare, diagram [name], tour, quiz, or a
question. Data only: what each one shows is `bot.render.screens`' job."""

from __future__ import annotations

from bot.core.models import ParsedCommand, Subcommand

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
