"""A question from any surface: cleaned once, answered by the core, recorded after the reply."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.core.models import Band, Reply
from bot.core.text import clean_question
from bot.slack.deps import Deps
from bot.slack.metrics import ANSWER_SECONDS, QUESTIONS
from bot.store.records import AskedQuestion


def answer_and_record(
    deps: Deps,
    text: str,
    send: Callable[[Reply | None], None],
    *,
    surface: str,
    user_id: str,
    channel_id: str | None,
    only_if_sure: bool = False,
) -> Reply | None:
    """Answer `text` through `send` (None for an empty question: show the usage), then record
    how it went: the store is written after the answer is sent, so it never delays one, and
    even when sending failed. `only_if_sure`: nothing is sent or recorded but an answer.
    Returns the reply sent, if any."""
    started = time.perf_counter()
    question = clean_question(text)
    if not question:
        if not only_if_sure:
            send(None)
        return None
    reply = deps.answers.reply_to(question)
    if only_if_sure and reply.band is not Band.ANSWER:
        return None
    try:
        send(reply)
    finally:
        ANSWER_SECONDS.observe(time.perf_counter() - started)
        QUESTIONS.labels(surface=surface, band=reply.band.value).inc()
        deps.memory.record_question(
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
