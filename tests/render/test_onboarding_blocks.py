"""Onboarding's Block Kit: what each screen says, and that Slack would accept it."""

from __future__ import annotations

import random

import pytest

from bot.core.answers import Answers
from bot.core.models import QuizAnswer, QuizRun
from bot.core.onboarding import Onboarding, QuizFeedback, QuizQuestionScreen, Step
from bot.render.actions import HOW_TO_ASK, OPEN_TOPIC, QUIZ_START, TOUR_STEP
from bot.render.blocks import BlockMessage
from bot.render.onboarding import render_quiz_feedback, render_screen
from tests.support import block_problems


@pytest.fixture
def onboarding(answers: Answers) -> Onboarding:
    return Onboarding(answers, random.Random(3))


def _all_text(message: BlockMessage) -> str:
    return str(message.blocks)


def _labels(message: BlockMessage) -> dict[str, str]:
    return {
        element["action_id"]: element["text"]["text"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def _tour_length(onboarding: Onboarding) -> int:
    tour = onboarding.answers.knowledge.tour
    return len(tour.steps) if tour else 0


def _screens(onboarding: Onboarding) -> list[BlockMessage]:
    first = onboarding.quiz_start().screen
    assert isinstance(first, QuizQuestionScreen)
    run = QuizRun.model_validate_json(first.state)
    quiz = onboarding.answers.knowledge.quiz
    question = next(q for q in quiz if q.id == run.order[0])
    right = onboarding.quiz_answer(first.state, question.right_index).screen
    wrong = onboarding.quiz_answer(first.state, (question.right_index + 1) % 2).screen
    done = QuizRun(order=run.order, position=len(run.order), score=3)
    screens = [
        onboarding.greeting("U0PERSON01"),
        onboarding.how_to_ask(),
        *(onboarding.tour_step(index).screen for index in range(_tour_length(onboarding))),
        onboarding.tour_done().screen,
        first,
        right,
        wrong,
        onboarding.quiz_screen(done),
    ]
    return [render_screen(screen) for screen in screens]


def test_every_screen_is_valid_block_kit_within_slack_limits(onboarding: Onboarding) -> None:
    for message in _screens(onboarding):
        assert message.text.strip()
        assert block_problems(message.blocks) == [], message.text


def test_greeting_has_the_primer_diagram_and_three_buttons(onboarding: Onboarding) -> None:
    greeting = render_screen(onboarding.greeting("U0PERSON01"))
    text = _all_text(greeting)
    assert "<@U0PERSON01>" in text
    for fact in ("application layer", "host's kernel", "MB", "GB", "seconds", "minutes"):
        assert fact in text, fact
    assert "┌" in text and "Hypervisor" in text  # the container-vs-VM diagram, as text
    assert list(_labels(greeting).values()) == ["Take the tour", "Quiz me", "How to ask me"]
    assert set(_labels(greeting)) == {f"{TOUR_STEP}:0", QUIZ_START, HOW_TO_ASK}


def test_tour_step_says_where_you_are(onboarding: Onboarding) -> None:
    total = _tour_length(onboarding)
    step = render_screen(onboarding.tour_step(2).screen)
    tour = onboarding.answers.knowledge.tour
    assert tour is not None
    assert f"Step 3 of {total}" in _all_text(step)
    assert tour.steps[2].intro in _all_text(step)
    assert step.text.startswith(f"Tour, step 3 of {total}:")


def test_feedback_gives_the_verdict_explanation_and_the_entry(onboarding: Onboarding) -> None:
    question = onboarding.answers.knowledge.quiz[0]
    run = QuizRun(order=[question.id], position=1, score=0)
    wrong = (question.right_index + 1) % len(question.options)
    answer = QuizAnswer(question=question, choice=wrong, correct=False, run=run)
    screen = QuizFeedback(
        answer=answer, entry_title="The entry", state=run.model_dump_json(), total=1
    )
    feedback = render_quiz_feedback(screen)
    text = _all_text(feedback)
    assert "Not quite" in text
    assert question.options[question.right_index].text in text
    assert question.explanation in text
    labels = _labels(feedback)
    assert labels[f"{OPEN_TOPIC}:{question.entry}"] == "Read more: The entry"
    assert "See my score" in labels.values()


def test_screens_without_a_tour_or_quiz_offer_only_what_exists(answers: Answers) -> None:
    bare = answers.knowledge.model_copy(update={"tour": None, "quiz": []})
    onboarding = Onboarding(Answers(knowledge=bare, matcher=answers.matcher))
    assert list(_labels(render_screen(onboarding.greeting("U1"))).values()) == ["How to ask me"]
    assert onboarding.tour_step(0).screen == onboarding.how_to_ask()
    assert onboarding.quiz_start() == Step(screen=onboarding.how_to_ask())
