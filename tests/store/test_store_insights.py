"""Insights: answer rate, misses grouped with rapidfuzz, disliked entries, Home tab blocks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.core.answers import Answers
from bot.core.insights import Tokenize, compute_insights, group_misses, parse_since
from bot.core.models import Band, Insights
from bot.render.home import render_admin_insights, render_progress
from bot.store.database import Store
from bot.store.records import AskedQuestion
from tests.support.blocks_check import MAX_VIEW_BLOCKS, block_problems
from tests.support.store_databases import Clock

NOW = datetime(2026, 11, 28, 9, 0)


@pytest.fixture(scope="module")
def tokenize(answers: Answers) -> Tokenize:
    return answers.matcher.normalizer.tokenize


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW - timedelta(days=1))


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    opened = Store.from_url(f"sqlite:///{tmp_path / 'store.sqlite3'}", clock=clock)
    yield opened
    opened.close()


def ask(store: Store, question: str, band: Band, surface: str = "mention") -> None:
    store.record_question(
        AskedQuestion(
            surface=surface,
            user_id="U1",
            channel_id="C1",
            question=question,
            band=band,
            entry_id="vm-vs-docker" if band is Band.ANSWER else None,
            score=90.0 if band is Band.ANSWER else 20.0,
        )
    )


@pytest.mark.parametrize(
    ("text", "span"),
    [("7d", timedelta(days=7)), ("24h", timedelta(hours=24)), (" 2W ", timedelta(weeks=2))],
)
def test_parse_since_reads_hours_days_weeks(text: str, span: timedelta) -> None:
    assert parse_since(text) == span


@pytest.mark.parametrize("text", ["", "7", "d7", "0d", "-1d", "7 days", "1y"])
def test_parse_since_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="time span"):
        parse_since(text)


def test_similar_misses_are_one_group_led_by_the_most_asked_wording(tokenize: Tokenize) -> None:
    groups = group_misses(
        [
            "how do I share files between containers",
            "share files between docker containers?",
            "How do i share a folder between containers",
            "share files between docker containers?",
            "can I run docker on a raspberry pi",
            "run docker on raspberry pi 4",
            "what is kubernetes",
        ],
        tokenize,
    )
    assert [(group.question, group.count) for group in groups] == [
        ("share files between docker containers?", 4),
        ("can I run docker on a raspberry pi", 2),
        ("what is kubernetes", 1),
    ]
    assert groups[0].variants == [
        "share files between docker containers?",
        "how do I share files between containers",
        "How do i share a folder between containers",
    ]


def test_questions_of_stopwords_only_group_by_their_exact_text(tokenize: Tokenize) -> None:
    groups = group_misses(["hello", "Hello", "thanks", "   "], tokenize)
    assert sorted((group.question, group.count) for group in groups) == [
        ("hello", 2),
        ("thanks", 1),
    ]
    assert group_misses([], tokenize) == []


def test_insights_count_the_window_and_group_the_misses(
    store: Store, clock: Clock, tokenize: Tokenize
) -> None:
    clock.now = NOW - timedelta(days=30)
    ask(store, "too old to count", Band.NONE)
    clock.now = NOW - timedelta(days=1)
    for _ in range(3):
        ask(store, "docker vs vm", Band.ANSWER)
    ask(store, "vm or container?", Band.ANSWER, surface="dm")
    ask(store, "what is kubernetes", Band.NONE)
    ask(store, "what's kubernetes?", Band.NONE, surface="dm")
    ask(store, "vm pricing", Band.SUGGEST, surface="command")
    store.record_feedback(entry_id="boot-time", user_id="U1", vote=-1)
    store.record_feedback(entry_id="boot-time", user_id="U2", vote=-1)
    store.record_feedback(entry_id="vm-vs-docker", user_id="U1", vote=-1)
    store.record_feedback(entry_id="vm-vs-docker", user_id="U2", vote=1)
    store.record_feedback(entry_id="image-size", user_id="U1", vote=1)

    clock.now = NOW
    usage = store.usage(since=NOW - timedelta(days=7))
    insights = compute_insights(usage, tokenize, titles={"boot-time": "How fast they start"})

    assert (insights.total, insights.answered, insights.unanswered) == (7, 4, 3)
    assert insights.answer_rate == pytest.approx(4 / 7)
    assert insights.count_by("surface") == {"mention": 4, "dm": 2, "command": 1}
    assert insights.count_by("band") == {"answer": 4, "none": 2, "suggest": 1}
    assert [(group.count, len(group.variants)) for group in insights.misses] == [(2, 2), (1, 1)]
    assert insights.misses[1].question == "vm pricing"
    assert [(v.entry_id, v.title, v.down, v.up) for v in insights.disliked] == [
        ("boot-time", "How fast they start", 2, 0),
        ("vm-vs-docker", None, 1, 1),
    ]


def test_insights_of_an_empty_store_have_no_rate(store: Store, tokenize: Tokenize) -> None:
    insights = compute_insights(store.usage(since=NOW - timedelta(days=7)), tokenize)
    assert insights.total == 0 and insights.answer_rate is None
    assert insights.misses == [] and insights.disliked == []


def test_admin_insights_blocks_are_valid_and_escape_questions(
    store: Store, tokenize: Tokenize
) -> None:
    for index in range(12):
        ask(store, f"<!channel> question number {index} about topic{index} " + "x" * 300, Band.NONE)
    store.record_feedback(entry_id="boot-time", user_id="U1", vote=-1)
    usage = store.usage(since=NOW - timedelta(days=7))
    titles = {"boot-time": "Boot"}
    blocks = render_admin_insights(compute_insights(usage, tokenize, titles=titles))
    assert block_problems(blocks, limit=MAX_VIEW_BLOCKS) == []
    text = str(blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "0%" in text and "Boot" in text


def test_admin_insights_say_when_the_store_is_unreachable() -> None:
    blocks = render_admin_insights(None)
    assert block_problems(blocks, limit=MAX_VIEW_BLOCKS) == []
    assert "cannot be reached" in str(blocks)


def test_admin_insights_say_when_question_text_is_not_stored() -> None:
    insights = Insights(
        since=NOW - timedelta(days=7), until=NOW, total=2, answered=1, unanswered=1,
        question_text_stored=False,
    )  # fmt: skip
    blocks = render_admin_insights(insights)
    assert "STORE_QUESTION_TEXT=false" in str(blocks) and "50%" in str(blocks)


@pytest.mark.parametrize(
    ("tour", "quiz", "expected"),
    [
        (None, None, ["Tour:* not started", "Quiz:* not taken"]),
        ({"step": 3, "of": 7, "done": False}, None, ["step 3 of 7"]),
        ({"step": 7, "of": 7, "done": True}, None, ["finished, all 7 steps"]),
        (None, {"answered": 2, "score": 1, "of": 8, "done": False}, ["2 of 8 answered, 1 right"]),
        (None, {"answered": 8, "score": 6, "of": 8, "done": True}, ["finished, 6 of 8 right"]),
        ({"page": "x"}, {"score": "lots"}, ["Tour:* not started", "Quiz:* not taken"]),
    ],
)
def test_progress_blocks_show_where_the_user_is(
    tour: dict[str, object] | None, quiz: dict[str, object] | None, expected: list[str]
) -> None:
    blocks = render_progress(tour, quiz)
    assert block_problems(blocks, limit=MAX_VIEW_BLOCKS) == []
    for phrase in expected:
        assert phrase in str(blocks)
    assert all(block["type"] != "actions" for block in blocks)


def test_progress_offers_the_tour_and_quiz_the_knowledge_has() -> None:
    blocks = render_progress(None, None, has_tour=True, has_quiz=True)
    assert block_problems(blocks, limit=MAX_VIEW_BLOCKS) == []
    buttons = [element["text"]["text"] for element in blocks[-1]["elements"]]
    assert buttons == ["Take the tour", "Quiz me"]
    only_quiz = render_progress(None, None, has_quiz=True)[-1]["elements"]
    assert [element["action_id"] for element in only_quiz] == ["onboarding_quiz_start"]
