"""A question from any surface: answered by the core, and remembered."""

from __future__ import annotations

from bot.answers import Answers
from bot.memory import Memory
from bot.models import AskedQuestion, Reply


def ask(
    answers: Answers,
    memory: Memory,
    question: str,
    *,
    surface: str,
    user_id: str,
    channel_id: str | None,
) -> Reply | None:
    """The reply to `question` (None for an empty one: show the usage); records how it went."""
    if not question:
        return None
    reply = answers.reply_to(question)
    memory.record_question(
        AskedQuestion(
            surface=surface,
            user_id=user_id,
            channel_id=channel_id,
            question=question,
            band=reply.band.value,
            entry_id=reply.entry_id,
            score=reply.score,
        )
    )
    return reply
