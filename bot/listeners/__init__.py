"""Slack listeners, one module per surface; each parses the payload, calls the core, sends."""

from __future__ import annotations

from slack_bolt import App

from bot.answers import Answers
from bot.listeners import actions, commands, events, home
from bot.memory import Memory


def register(
    app: App, answers: Answers, memory: Memory, *, admins: frozenset[str] = frozenset()
) -> None:
    """Attach every listener to `app`; `admins` also see usage insights in the Home tab."""
    events.register(app, answers, memory)
    commands.register(app, answers, memory)
    actions.register(app, answers, memory)
    home.register(app, answers, memory, admins=admins)
