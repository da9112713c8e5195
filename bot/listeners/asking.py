"""A question from any surface: answered from the core, and remembered."""

from __future__ import annotations

from bot.answers import Answers
from bot.memory import Memory
from bot.models import BlockMessage
from bot.slack_messages import answer_message, usage_message


def answer_question(
    answers: Answers,
    memory: Memory,
    question: str,
    *,
    surface: str,
    user_id: str,
    channel_id: str | None,
    ephemeral: bool = False,
) -> BlockMessage:
    """The message answering `question` (the usage for an empty one); records how it went."""
    if not question:
        return usage_message()
    reply = answers.reply_to(question)
    memory.record_question(
        surface=surface,
        user_id=user_id,
        channel_id=channel_id,
        question=question,
        band=reply.band.value,
        entry_id=reply.entry_id,
        score=reply.score,
    )
    return answer_message(reply, ephemeral=ephemeral)
