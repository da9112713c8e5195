"""The Home tab: what the bot does, how to ask, every topic, and the viewer's own progress.

Admins (`ADMIN_USER_IDS`, and whoever installed the app through OAuth) also see usage insights
of their own workspace (answer rate, misses, most 👎 entries), answers due for review and drafts
saved from Slack; editors (`KNOWLEDGE_EDITORS`, admins) the questions to teach.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.answers import today_utc
from bot.core.insights import compute_insights, window_start
from bot.core.models import Insights, KnowledgeBase
from bot.core.reviews import stale_entries
from bot.render.drafts import MAX_HOME_DRAFTS, render_drafts
from bot.render.home import personal_home_view, render_admin_insights, render_progress
from bot.render.learning import MAX_HOME_TEACH, render_stale_entries, render_teachable
from bot.render.screens import PROMPTS_TITLE, suggested_prompts
from bot.slack.delivery import describe_api_error
from bot.slack.deps import Deps, deps_of
from bot.slack.oauth import workspace_of
from bot.slack.payloads import AssistantThreadStarted, HomeOpened, parse_payload

log = logging.getLogger(__name__)

INSIGHTS_WINDOW = timedelta(days=7)
THREAD_TITLE = "VMs vs containers"


def admin_insights(deps: Deps) -> Insights | None:
    """The last week's insights, or None while the store cannot say."""
    usage = deps.memory.usage(since=window_start(INSIGHTS_WINDOW))
    if usage is None:
        return None
    knowledge = deps.answers.knowledge
    titles = {entry.id: entry.title for entry in knowledge.entries.values()}
    tokenize = deps.answers.matcher.normalizer.tokenize
    return compute_insights(usage, tokenize, titles=titles)


def offer_prompts(
    client: WebClient, channel: str, knowledge: KnowledgeBase, thread_ts: str | None = None
) -> None:
    """Suggested prompts: at the top of the Messages tab (on the DM itself, no thread, as
    Slack's agent docs say), or in one assistant thread of the side pane."""
    try:
        client.assistant_threads_setSuggestedPrompts(
            channel_id=channel,
            thread_ts=thread_ts,
            title=PROMPTS_TITLE,
            prompts=suggested_prompts(knowledge),
        )
    except SlackApiError as error:  # an app without the agent view: the tab works without
        log.warning("no suggested prompts: Slack API %s", describe_api_error(error))


def handle_assistant_thread_started(
    event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The assistant side pane opened: a title and suggested prompts for that thread. Its
    questions then arrive as direct messages in the thread, answered there."""
    started = parse_payload(AssistantThreadStarted, event).assistant_thread
    try:
        client.assistant_threads_setTitle(
            channel_id=started.channel_id, thread_ts=started.thread_ts, title=THREAD_TITLE
        )
    except SlackApiError as error:
        log.warning("no assistant thread title: Slack API %s", describe_api_error(error))
    offer_prompts(client, started.channel_id, deps_of(context).answers.knowledge, started.thread_ts)


def handle_app_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    deps = deps_of(context)
    opened = parse_payload(HomeOpened, event)
    if opened.tab == "messages" and opened.channel:
        offer_prompts(client, opened.channel, deps.answers.knowledge)
        return
    if opened.tab != "home":
        return
    publish_home(deps, client, opened.user, context)


def publish_home(deps: Deps, client: WebClient, user_id: str, context: BoltContext) -> None:
    """The viewer's Home tab: what everyone sees, their progress, and what their roles add.
    Published again after an editor teaches or saves, so the lists there stay current."""
    knowledge = deps.answers.knowledge
    personal = render_progress(
        deps.memory.load_progress(user_id=user_id, kind="tour"),
        deps.memory.load_progress(user_id=user_id, kind="quiz"),
        has_tour=knowledge.tour is not None,
        has_quiz=bool(knowledge.quiz),
    )
    if user_id in deps.admins or deps.installs.installed_by(user_id, context):
        personal += render_admin_insights(admin_insights(deps))
        personal += render_stale_entries(stale_entries(knowledge, today_utc()))
        if deps.learning is not None:
            personal += render_drafts(
                deps.learning.drafts(team_id=workspace_of(context), limit=MAX_HOME_DRAFTS)
            )
    if deps.learning is not None and deps.editors.includes(client, user_id):
        personal += render_teachable(
            deps.learning.open_misses(team_id=workspace_of(context), limit=MAX_HOME_TEACH)
        )
    client.views_publish(user_id=user_id, view=personal_home_view(deps.home, personal))
