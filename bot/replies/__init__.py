"""Replies: a `Reply` composed from a `Match`, and pure renderers that draw it."""

from bot.replies.compose import compose_reply, entry_reply
from bot.replies.text import render_text

__all__ = ["compose_reply", "entry_reply", "render_text"]
