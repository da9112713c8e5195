"""The routing self-check: every example question must answer with its own entry."""

from __future__ import annotations

from bot.answers import Answers
from bot.models import Band


def routing_failures(answers: Answers) -> list[str]:
    """One line per example question that does not land on its own entry in the answer band."""
    failures = []
    for entry in answers.knowledge.entries.values():
        for question in entry.questions:
            match = answers.match(question)
            got = match.entry.id if match.entry else "nothing"
            if match.band is not Band.ANSWER or got != entry.id:
                failures.append(
                    f"{entry.source}: question “{question}” went to {got} "
                    f"({match.band.value}, {match.score:.0f}/100)"
                )
    return failures
