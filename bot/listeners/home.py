"""The Home tab: what the bot does, how to ask, and every topic."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.answers import Answers
from bot.models import HomeOpened
from bot.slack_messages import home_view


def register(app: App, answers: Answers) -> None:
    view = home_view(answers.knowledge)  # the same for everyone: built once

    @app.event("app_home_opened")
    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        opened = HomeOpened.model_validate(event)
        if opened.tab == "home":
            client.views_publish(user_id=opened.user, view=view)
