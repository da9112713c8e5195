"""Tour and quiz state: shuffled runs, scoring, and untrusted button values falling back safely."""

from __future__ import annotations

import random

import pytest

from bot.core.answers import Answers
from bot.core.models import QuizProgress, QuizQuestion, QuizRun, TourProgress
from bot.core.onboarding import (
    QUIZ_LENGTH,
    Onboarding,
    QuizFeedback,
    QuizQuestionScreen,
    Step,
    answer_question,
    current_question,
    parse_run,
    start_quiz,
)
from bot.render.actions import QUIZ_ANSWER, QUIZ_NEXT, TOUR_DONE, TOUR_STEP
from bot.render.blocks import BlockMessage
from bot.render.onboarding import render_screen

SLACK_BUTTON_VALUE = 2000  # characters


@pytest.fixture
def onboarding(answers: Answers) -> Onboarding:
    return Onboarding(answers, random.Random(7))


def _buttons(blocks: list[dict[str, object]]) -> list[dict[str, object]]:
    return [
        element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]  # type: ignore[attr-defined]
    ]


def test_each_run_has_its_own_order(answers: Answers) -> None:
    questions = answers.knowledge.quiz
    orders = {tuple(start_quiz(questions, random.Random(seed)).order) for seed in range(5)}
    assert len(orders) > 1
    for order in orders:
        assert len(order) == min(QUIZ_LENGTH, len(questions)) == len(set(order))
        assert set(order) <= {question.id for question in questions}


def test_a_long_quiz_still_fits_in_a_button_value() -> None:
    option = {"text": "x" * 75}
    questions = [
        QuizQuestion.model_validate(
            {
                "id": f"{index:02d}" + "q" * 58,
                "question": "?",
                "options": [option | {"right": True}, {"text": "y" * 75}],
                "explanation": "e",
                "entry": "e",
            }
        )
        for index in range(40)
    ]
    run = start_quiz(questions, random.Random(0))
    finished = run.model_copy(update={"position": len(run.order), "score": len(run.order)})
    assert len(run.order) == QUIZ_LENGTH
    assert len(finished.model_dump_json()) <= SLACK_BUTTON_VALUE


def test_right_and_wrong_answers_are_scored(answers: Answers) -> None:
    questions = answers.knowledge.quiz
    run = start_quiz(questions, random.Random(1))
    first = current_question(run, questions)
    assert first is not None
    right = answer_question(run, questions, first.right_index)
    assert right is not None and right.correct
    assert (right.run.position, right.run.score) == (1, 1)
    second = current_question(right.run, questions)
    assert second is not None and second.id != first.id
    wrong_choice = (second.right_index + 1) % len(second.options)
    wrong = answer_question(right.run, questions, wrong_choice)
    assert wrong is not None and not wrong.correct
    assert (wrong.run.position, wrong.run.score) == (2, 1)


def test_a_finished_run_or_an_unknown_option_is_not_scored(answers: Answers) -> None:
    questions = answers.knowledge.quiz
    run = start_quiz(questions, random.Random(1))
    assert answer_question(run, questions, 99) is None
    done = run.model_copy(update={"position": len(run.order)})
    assert done.finished and current_question(done, questions) is None
    assert answer_question(done, questions, 0) is None


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        '{"order": [], "position": 0, "score": 0}',
        '{"order": ["no-such-question"], "position": 0, "score": 0}',
        '{"order": ["image-size"], "position": 0, "score": 1}',
        '{"order": ["image-size"], "position": 5, "score": 0}',
    ],
)
def test_forged_or_stale_runs_are_rejected(answers: Answers, value: str) -> None:
    assert parse_run(value, answers.knowledge.quiz) is None


def run_of(step: Step) -> QuizRun:
    """The run a quiz screen carries in its buttons."""
    assert isinstance(step.screen, QuizQuestionScreen | QuizFeedback)
    return QuizRun.model_validate_json(step.screen.state)


def test_a_broken_run_value_starts_a_fresh_quiz(onboarding: Onboarding) -> None:
    step = onboarding.quiz_answer("garbage", 0)
    run = run_of(step)
    assert run.position == 0 and step.progress == QuizProgress(
        answered=0, score=0, of=len(run.order)
    )
    assert render_screen(step.screen).blocks[0]["text"]["text"] == f"Question 1 of {len(run.order)}"


def test_option_buttons_are_shuffled_but_name_their_option(onboarding: Onboarding) -> None:
    quiz = onboarding.answers.knowledge.quiz
    run = QuizRun(order=[quiz[0].id])
    seen_orders = set()
    for _ in range(10):
        buttons = _buttons(render_screen(onboarding.quiz_screen(run)).blocks)
        indexes = [int(str(button["action_id"]).split(":")[1]) for button in buttons]
        assert sorted(indexes) == list(range(len(quiz[0].options)))
        for button, index in zip(buttons, indexes, strict=True):
            assert button["text"]["text"] == quiz[0].options[index].text  # type: ignore[index]
            assert parse_run(str(button["value"]), quiz) == run
        seen_orders.add(tuple(indexes))
    assert len(seen_orders) > 1


def test_a_whole_quiz_through_the_buttons_ends_with_the_score(onboarding: Onboarding) -> None:
    step = onboarding.quiz_start()
    run, message = run_of(step), render_screen(step.screen)
    total = len(run.order)
    for number in range(total):
        question = current_question(run, onboarding.answers.knowledge.quiz)
        assert question is not None
        choice = question.right_index if number % 2 == 0 else (question.right_index + 1) % 2
        option = next(
            b for b in _buttons(message.blocks) if b["action_id"] == f"{QUIZ_ANSWER}:{choice}"
        )
        answered = onboarding.quiz_answer(str(option["value"]), choice)
        assert run_of(answered).position == number + 1
        assert answered.progress is not None
        feedback = render_screen(answered.screen)
        next_button = next(b for b in _buttons(feedback.blocks) if b["action_id"] == QUIZ_NEXT)
        step = onboarding.quiz_next(str(next_button["value"]))
        message = render_screen(step.screen)
        if number + 1 < total:
            run = run_of(step)
    right = (total + 1) // 2
    assert answered.progress == QuizProgress(answered=total, score=right, of=total, done=True)
    assert message.text == f"Quiz done: {right} of {total} right."


def test_tour_steps_walk_and_clamp(onboarding: Onboarding) -> None:
    tour = onboarding.answers.knowledge.tour
    assert tour is not None
    total = len(tour.steps)

    def shown(index: int) -> BlockMessage:
        return render_screen(onboarding.tour_step(index).screen)

    first = _buttons(shown(0).blocks)
    assert [b["action_id"] for b in first] == [f"{TOUR_STEP}:1"]
    middle = _buttons(shown(2).blocks)
    assert [b["text"]["text"] for b in middle] == ["Back", "Next"]  # type: ignore[index]
    assert [b["value"] for b in middle] == ["1", "3"]
    last = _buttons(shown(total - 1).blocks)
    assert last[-1]["action_id"] == TOUR_DONE
    assert onboarding.tour_step(99) == onboarding.tour_step(total - 1)
    assert onboarding.tour_step(-4) == onboarding.tour_step(0)
    assert onboarding.tour_step(2).progress == TourProgress(step=3, of=total)
    assert onboarding.tour_done().progress == TourProgress(step=total, of=total, done=True)


def test_primer_has_the_three_points(onboarding: Onboarding) -> None:
    points = onboarding.primer()
    assert [[row.id for row in point] for point in points] == [
        ["virtualizes", "kernel"],
        ["image-size"],
        ["start-time"],
    ]
