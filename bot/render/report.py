"""`vmdocker report`: insights as text for people, JSON for tools, misses as paste-ready YAML."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.core.models import Insights

Closest = Callable[[str], tuple[str, float] | None]  # question -> (entry id, score) or None


def _when(insights: Insights) -> str:
    days = (insights.until - insights.since).total_seconds() / 86400
    span = f"{days:g} days" if days >= 1 else f"{days * 24:g} hours"
    return f"{insights.since:%Y-%m-%d %H:%M} to {insights.until:%Y-%m-%d %H:%M} UTC ({span})"


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _counts(counts: dict[str, int]) -> str:
    return " · ".join(f"{name} {count}" for name, count in counts.items()) or "none"


def insights_json(insights: Insights) -> dict[str, Any]:
    """The `report --json` contract."""
    return {
        "since": insights.since.isoformat(),
        "until": insights.until.isoformat(),
        "questions": insights.total,
        "answered": insights.answered,
        "unanswered": insights.unanswered,
        "answer_rate": None if insights.answer_rate is None else round(insights.answer_rate, 4),
        "by_surface": insights.count_by("surface"),
        "by_band": insights.count_by("band"),
        "question_text_stored": insights.question_text_stored,
        "unanswered_groups": [group.model_dump() for group in insights.misses],
        "most_disliked": [votes.model_dump() for votes in insights.disliked],
    }


def render_report(insights: Insights) -> str:
    """The plain-text report authors read."""
    lines = [
        f"vmdocker report: {_when(insights)}",
        "",
        f"Questions: {insights.total}, answered {insights.answered} "
        f"({_percent(insights.answer_rate)}), not answered {insights.unanswered}",
        f"By surface: {_counts(insights.count_by('surface'))}",
        f"By band:    {_counts(insights.count_by('band'))}",
        "",
        "Top unanswered questions (similar ones grouped):",
    ]
    if not insights.question_text_stored:
        lines.append("  question text is not stored (STORE_QUESTION_TEXT=false)")
    for group in insights.misses:
        similar = len(group.variants) - 1
        more = f"  (+{similar} similar wording{'s' * (similar > 1)})" if similar else ""
        lines.append(f"  {group.count:>4} asked  {group.question}{more}")
    if insights.question_text_stored and not insights.misses:
        lines.append("  none")
    lines += ["", "Entries with the most 👎:"]
    for votes in insights.disliked:
        name = f"{votes.title} ({votes.entry_id})" if votes.title else votes.entry_id
        lines.append(f"  👎 {votes.down:>3}  👍 {votes.up:>3}  {name}")
    if not insights.disliked:
        lines.append("  none")
    return "\n".join(lines)


def render_misses(insights: Insights, closest: Closest) -> str:
    """Unanswered questions grouped, as YAML `questions:` lists for entries' front matter."""
    lines = [
        f"# Unanswered questions, {_when(insights)}, grouped by similarity.",
        "# Each group is one missing topic: paste its list under `questions:` in a new entry,",
        "# or in the closest entry's front matter if that entry should have answered it.",
    ]
    if not insights.question_text_stored:
        lines.append("# Question text is not stored (STORE_QUESTION_TEXT=false): nothing to list.")
    if not insights.misses:
        lines.append("# No unanswered questions in this period.")
    for number, group in enumerate(insights.misses, start=1):
        near = closest(group.question)
        hint = f"; closest entry: {near[0]} (score {near[1]:.0f})" if near else ""
        lines += [
            "",
            f"# {number}. asked {group.count} time{'s' * (group.count > 1)}{hint}",
            "questions:",
        ]
        lines += [f"  - {json.dumps(variant, ensure_ascii=False)}" for variant in group.variants]
    return "\n".join(lines)
