"""Slack listeners: named functions, one module per surface, all attached by `register(app)`.

Each parses its payload, calls the core, renders, and sends; its dependencies come from the
request's context (`bot.slack.deps`).
"""

from __future__ import annotations

import re

from slack_bolt import App

from bot.render.actions import (
    ASK_EXPERTS,
    FEEDBACK,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    HOW_TO_ASK,
    OPEN_TOPIC,
    QUIZ_ANSWER,
    QUIZ_NEXT,
    QUIZ_START,
    SAVE_FROM_EXPERT,
    SAVE_SHORTCUT,
    SAVE_VIEW,
    SHARE,
    SHOW_DIAGRAM_IMAGE,
    TEACH,
    TEACH_VIEW,
    TOUR_DONE,
    TOUR_STEP,
    indexed,
    with_target,
)
from bot.slack.listeners import (
    actions,
    commands,
    events,
    experts,
    home,
    installs,
    learning,
    onboarding,
    saving,
    workflows,
)


def register(app: App) -> None:
    """Attach every listener to `app`. Bolt tries them in this order for every request (each
    try builds the listener's arguments), so the most frequent requests come first."""
    app.command(commands.COMMAND)(commands.handle_vmdocker_command)
    app.event("app_mention")(events.handle_app_mention)
    app.event("message", matchers=[events.is_direct_message_from_a_person])(
        events.handle_direct_message
    )
    app.event("message", matchers=[experts.is_expert_reply])(experts.handle_expert_reply)
    app.event("message", matchers=[events.is_thread_follow_up])(events.handle_thread_follow_up)
    app.event("message")(events.ignore_other_messages)
    app.event("app_home_opened")(home.handle_app_home_opened)
    app.event("assistant_thread_started")(home.handle_assistant_thread_started)
    app.event("member_joined_channel")(onboarding.handle_member_joined)
    app.event("app_uninstalled")(installs.handle_app_uninstalled)
    app.event("tokens_revoked")(installs.handle_tokens_revoked)

    app.action(with_target(OPEN_TOPIC))(actions.handle_open_topic)
    app.action(SHARE)(actions.handle_share)
    app.action(with_target(SHOW_DIAGRAM_IMAGE))(actions.handle_show_diagram_image)
    app.action(FEEDBACK)(actions.handle_feedback)
    app.action(FEEDBACK_UP)(actions.handle_feedback)
    app.action(FEEDBACK_DOWN)(actions.handle_feedback)

    app.action(TEACH)(learning.handle_teach_click)
    app.view(TEACH_VIEW)(learning.handle_teach_submission)
    app.shortcut(SAVE_SHORTCUT)(saving.handle_save_shortcut)
    app.action(ASK_EXPERTS)(experts.handle_ask_experts)
    app.action(SAVE_FROM_EXPERT)(saving.handle_save_expert_reply)
    app.view(SAVE_VIEW)(saving.handle_save_submission)

    app.action(indexed(TOUR_STEP))(onboarding.handle_tour_step)
    app.action(TOUR_DONE)(onboarding.handle_tour_done)
    app.action(QUIZ_START)(onboarding.handle_quiz_start)
    app.action(indexed(QUIZ_ANSWER))(onboarding.handle_quiz_answer)
    app.action(QUIZ_NEXT)(onboarding.handle_quiz_next)
    app.action(HOW_TO_ASK)(onboarding.handle_how_to_ask)

    app.function(workflows.ANSWER_FUNCTION)(workflows.handle_answer_question)
    app.function(workflows.PRIMER_FUNCTION)(workflows.handle_send_primer)

    app.event(re.compile(r".+"))(events.ignore_unhandled_event)  # last: after every other one
