"""Home tab blocks from the store: a user's own tour and quiz progress; insights for admins.

Pure builders: data in, Block Kit out. Progress states are what onboarding saves with
`save_progress` (`TourProgress`, `QuizProgress`); a state of another shape is shown as not
started rather than failing the whole tab.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bot.core.models import Insights, QuizProgress, TourProgress
from bot.render.blocks import Block, clip, context, escape, header, section
from bot.render.onboarding import next_steps_buttons

MAX_VIEW_BLOCKS = 100  # Slack's limit for a Home tab view
MAX_HOME_MISSES = 5
MAX_HOME_DISLIKED = 5
MAX_LISTED_QUESTION = 150


def _tour_line(state: dict[str, Any] | None) -> str:
    try:
        tour = TourProgress.model_validate(state) if state is not None else None
    except ValidationError:
        tour = None
    if tour is None or tour.step == 0:
        return "*Tour:* not started yet. Try `/vmdocker tour`."
    if tour.done:
        return f"*Tour:* finished, all {tour.of} steps :tada:"
    return f"*Tour:* step {tour.step} of {tour.of}. `/vmdocker tour` starts it again."


def _quiz_line(state: dict[str, Any] | None) -> str:
    try:
        quiz = QuizProgress.model_validate(state) if state is not None else None
    except ValidationError:
        quiz = None
    if quiz is None:
        return "*Quiz:* not taken yet. Try `/vmdocker quiz`."
    if quiz.done:
        return (
            f"*Quiz:* finished, {quiz.score} of {quiz.of} right. `/vmdocker quiz` for another go."
        )
    return (
        f"*Quiz:* {quiz.answered} of {quiz.of} answered, {quiz.score} right so far. "
        "`/vmdocker quiz` starts a new run."
    )


def render_progress(
    tour: dict[str, Any] | None,
    quiz: dict[str, Any] | None,
    *,
    has_tour: bool = False,
    has_quiz: bool = False,
) -> list[Block]:
    """The viewer's own tour and quiz progress, for everyone's Home tab, with buttons to start
    them (a click there opens the tour or quiz in the viewer's DM)."""
    blocks = [header("Your progress"), section(_tour_line(tour) + "\n" + _quiz_line(quiz))]
    if has_tour or has_quiz:
        blocks.append(next_steps_buttons(tour=has_tour, quiz=has_quiz, how_to_ask=False))
    return blocks


def _rate(insights: Insights) -> str:
    rate = insights.answer_rate
    return "no questions yet" if rate is None else f"{rate:.0%}"


def _misses_text(insights: Insights) -> str:
    if not insights.question_text_stored:
        return "_Question text is not stored (`STORE_QUESTION_TEXT=false`)._"
    if not insights.misses:
        return "_None: every question got an answer._"
    lines = []
    for group in insights.misses[:MAX_HOME_MISSES]:
        similar = len(group.variants) - 1
        more = f" _(+{similar} similar)_" if similar else ""
        question = escape(clip(group.question, MAX_LISTED_QUESTION))
        lines.append(f"• {question}{more}: asked *{group.count}*")
    return "\n".join(lines)


def _disliked_text(insights: Insights) -> str:
    if not insights.disliked:
        return "_None: no entry got a 👎._"
    lines = []
    for votes in insights.disliked[:MAX_HOME_DISLIKED]:
        name = escape(votes.title or votes.entry_id)
        lines.append(f"• {name} (`{votes.entry_id}`): {votes.down} 👎, {votes.up} 👍")
    return "\n".join(lines)


def render_admin_insights(insights: Insights | None) -> list[Block]:
    """Admins' Home tab section: answer rate, top unanswered questions, most 👎 entries."""
    blocks: list[Block] = [header("Insights for knowledge authors")]
    if insights is None:
        blocks.append(context("The store cannot be reached just now, so there are no insights."))
        return blocks
    days = round((insights.until - insights.since).total_seconds() / 86400)
    blocks += [
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Answer rate ({days} days)*\n{_rate(insights)}"},
                {
                    "type": "mrkdwn",
                    "text": f"*Questions*\n{insights.total} asked, {insights.unanswered} "
                    "not answered",
                },
            ],
        },
        section("*Top unanswered questions*\n" + _misses_text(insights)),
        section("*Entries with the most 👎*\n" + _disliked_text(insights)),
        context(
            "`vmdocker report --misses` lists every unanswered question, grouped, "
            "ready to paste as example questions."
        ),
    ]
    return blocks


def personal_home_view(view: dict[str, Any], personal: list[Block]) -> dict[str, Any]:
    """The Home tab everyone gets, with the viewer's own blocks after its introduction."""
    blocks = list(view["blocks"])
    at = next((i + 1 for i, block in enumerate(blocks) if block.get("type") == "divider"), 0)
    merged = [*blocks[:at], *personal, {"type": "divider"}, *blocks[at:]]
    return {**view, "blocks": merged[:MAX_VIEW_BLOCKS]}
