"""The Home tab: what the bot does, how to ask, every topic, and the viewer's own progress.

Admins (`ADMIN_USER_IDS`) also see usage insights: answer rate, misses, most 👎 entries.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.answers import Answers
from bot.memory import Memory
from bot.models import HomeOpened
from bot.replies.insights import personal_home_view, render_admin_insights, render_progress
from bot.slack_messages import home_view

INSIGHTS_WINDOW = timedelta(days=7)


def register(
    app: App, answers: Answers, memory: Memory, *, admins: frozenset[str] = frozenset()
) -> None:
    view = home_view(answers.knowledge)  # the part everyone gets: built once
    titles = {entry.id: entry.title for entry in answers.knowledge.entries.values()}

    @app.event("app_home_opened")
    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        opened = HomeOpened.model_validate(event)
        if opened.tab != "home":
            return
        personal = render_progress(
            memory.load_progress(user_id=opened.user, kind="tour"),
            memory.load_progress(user_id=opened.user, kind="quiz"),
            has_tour=answers.knowledge.tour is not None,
            has_quiz=bool(answers.knowledge.quiz),
        )
        if opened.user in admins:
            insights = memory.insights(since=INSIGHTS_WINDOW, titles=titles)
            personal += render_admin_insights(insights)
        client.views_publish(user_id=opened.user, view=personal_home_view(view, personal))
