"""Insights for knowledge authors: answer rate, unanswered questions grouped, disliked entries."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import numpy as np
from rapidfuzz import fuzz, process

from bot.core.models import Insights, MissGroup
from bot.store.records import ANSWERED, EntryVotes, Usage, utcnow

MISS_SIMILARITY = 75.0  # token_sort_ratio of two misses' content words to count as one topic
MAX_MISSES = 2000  # the latest unanswered questions considered (grouping is quadratic)
MAX_VARIANTS = 20
_SINCE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    """`7d`, `24h`, `2w` as a time span; ValueError otherwise."""
    found = _SINCE.match(text.lower())
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is not a time span like 24h, 7d or 2w")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def window_start(span: timedelta) -> datetime:
    """The start of the last `span`, in naive UTC as the store keeps its times."""
    return utcnow() - span


Tokenize = Callable[[str], list[str]]


def _miss_key(question: str, tokenize: Tokenize) -> str:
    """What two wordings of one question share: content words, sorted."""
    tokens = sorted(set(tokenize(question)))
    return " ".join(tokens) if tokens else " ".join(question.casefold().split())


def group_misses(
    questions: list[str], tokenize: Tokenize, *, similarity: float = MISS_SIMILARITY
) -> list[MissGroup]:
    """Group similar questions; the most asked first, each led by its most asked wording."""
    wordings: dict[str, Counter[str]] = {}
    for question in questions:
        text = " ".join(question.split())
        if text:
            wordings.setdefault(_miss_key(text, tokenize), Counter())[text] += 1
    keys = sorted(wordings, key=lambda key: (-wordings[key].total(), key))
    if not keys:
        return []
    scores = process.cdist(
        keys, keys, scorer=fuzz.token_sort_ratio, score_cutoff=similarity, dtype=np.uint8
    )
    taken = np.zeros(len(keys), dtype=bool)
    groups: list[MissGroup] = []
    for leader in range(len(keys)):  # leaders in order of how often they were asked
        if taken[leader]:
            continue
        members = np.flatnonzero((scores[leader] > 0) & ~taken)
        taken[members] = True
        counts: Counter[str] = Counter()
        for member in members:
            counts.update(wordings[keys[member]])
        variants = [text for text, _ in counts.most_common(MAX_VARIANTS)]
        groups.append(MissGroup(question=variants[0], count=counts.total(), variants=variants))
    return sorted(groups, key=lambda group: -group.count)


def most_disliked(
    votes: list[EntryVotes], titles: Mapping[str, str], limit: int
) -> list[EntryVotes]:
    """Entries with at least one 👎, the most 👎 first (then the worst balance)."""
    disliked = sorted(
        (vote for vote in votes if vote.down),
        key=lambda vote: (-vote.down, vote.up - vote.down, vote.entry_id),
    )
    return [
        vote.model_copy(update={"title": titles.get(vote.entry_id)}) for vote in disliked[:limit]
    ]


def compute_insights(
    usage: Usage,
    tokenize: Tokenize,
    *,
    titles: Mapping[str, str] | None = None,
    max_groups: int | None = 10,
    max_disliked: int = 5,
) -> Insights:
    """Everything `vmdocker report` and the admin Home tab show, from what was recorded."""
    total = sum(row.count for row in usage.counts)
    answered = sum(row.count for row in usage.counts if row.band == ANSWERED)
    misses = group_misses(usage.unanswered[:MAX_MISSES], tokenize)
    return Insights(
        since=usage.since,
        until=usage.until,
        total=total,
        answered=answered,
        unanswered=total - answered,
        by_surface_band=sorted(usage.counts, key=lambda row: (row.surface, row.band)),
        misses=misses if max_groups is None else misses[:max_groups],
        question_text_stored=usage.question_text_stored,
        disliked=most_disliked(usage.votes, titles or {}, max_disliked),
    )
