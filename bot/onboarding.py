"""Onboarding's core: the greeting, tour steps and quiz runs as data in, a message out. No Slack.

State lives in the buttons (a tour step index, a `QuizRun` as JSON), so any app process can
handle the next click, and a restart loses nothing. Values from Slack are untrusted: a stale or
forged one falls back to the start instead of failing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pydantic import ValidationError

from bot.answers import Answers
from bot.models import BlockMessage, ComparisonRow, QuizAnswer, QuizQuestion, QuizRun
from bot.replies.onboarding import (
    render_greeting,
    render_how_to_ask,
    render_quiz_feedback,
    render_quiz_question,
    render_quiz_score,
    render_tour_done,
    render_tour_step,
)

PRIMER_POINTS: tuple[tuple[str, ...], ...] = (
    ("virtualizes", "kernel"),
    ("image-size",),
    ("start-time",),
)
GREETING_DIAGRAM = "container-vs-vm"
QUIZ_LENGTH = 10  # 10 ids of <= 60 characters: a run stays far below a button value's 2000


def start_quiz(questions: list[QuizQuestion], rng: random.Random) -> QuizRun:
    """A new run of up to QUIZ_LENGTH questions in an order of its own (options are shuffled on
    display). The cap keeps a run short and its state well inside a button value."""
    order = rng.sample([question.id for question in questions], min(QUIZ_LENGTH, len(questions)))
    return QuizRun(order=order)


def parse_run(value: str, questions: list[QuizQuestion]) -> QuizRun | None:
    """The run a button carried, or None if it is malformed or names questions no longer known."""
    try:
        run = QuizRun.model_validate_json(value)
    except ValidationError:
        return None
    known = {question.id for question in questions}
    if not set(run.order) <= known or run.position > len(run.order) or run.score > run.position:
        return None
    return run


def current_question(run: QuizRun, questions: list[QuizQuestion]) -> QuizQuestion | None:
    """The question the run is at, or None when it is over."""
    if run.finished:
        return None
    wanted = run.order[run.position]
    return next(question for question in questions if question.id == wanted)


def answer_question(run: QuizRun, questions: list[QuizQuestion], choice: int) -> QuizAnswer | None:
    """Score `choice` for the current question and move on; None if the run is over or the
    choice is not one of the options."""
    question = current_question(run, questions)
    if question is None or not 0 <= choice < len(question.options):
        return None
    correct = choice == question.right_index
    after = run.model_copy(update={"position": run.position + 1, "score": run.score + correct})
    return QuizAnswer(question=question, choice=choice, correct=correct, run=after)


@dataclass
class Onboarding:
    """Builds every onboarding screen from one knowledge base."""

    answers: Answers
    rng: random.Random = field(default_factory=random.Random)

    @property
    def has_tour(self) -> bool:
        return self.answers.knowledge.tour is not None

    @property
    def has_quiz(self) -> bool:
        return bool(self.answers.knowledge.quiz)

    @property
    def tour_length(self) -> int:
        tour = self.answers.knowledge.tour
        return len(tour.steps) if tour else 0

    def primer(self) -> list[list[ComparisonRow]]:
        """The comparison rows behind each primer point; a point with no rows is left out."""
        rows = {row.id: row for row in self.answers.knowledge.matrix}
        points = []
        for ids in PRIMER_POINTS:
            found: list[ComparisonRow] = [rows[row_id] for row_id in ids if row_id in rows]
            if found:
                points.append(found)
        return points

    def greeting(self, user_id: str) -> BlockMessage:
        diagram = self.answers.knowledge.diagrams.get(GREETING_DIAGRAM)
        return render_greeting(
            user_id, self.primer(), diagram, tour=self.has_tour, quiz=self.has_quiz
        )

    def how_to_ask(self) -> BlockMessage:
        return render_how_to_ask(tour=self.has_tour, quiz=self.has_quiz)

    def tour_step(self, index: int) -> BlockMessage:
        """Step `index` of the tour, clamped into range (a stale button lands on a real step)."""
        tour = self.answers.knowledge.tour
        if tour is None:
            return self.how_to_ask()
        index = min(max(index, 0), len(tour.steps) - 1)
        step = tour.steps[index]
        reply = self.answers.reply_for_entry(step.entry)
        if reply is None:  # the loader guarantees every step's entry exists
            raise LookupError(f"tour step {index} names unknown entry '{step.entry}'")
        return render_tour_step(tour.title, index, len(tour.steps), step.intro, reply)

    def tour_done(self) -> BlockMessage:
        return render_tour_done(self.tour_length, quiz=self.has_quiz)

    def quiz_start(self) -> tuple[QuizRun | None, BlockMessage]:
        """A fresh run and its first question (the how-to card if there is no quiz)."""
        questions = self.answers.knowledge.quiz
        if not questions:
            return None, self.how_to_ask()
        run = start_quiz(questions, self.rng)
        return run, self.quiz_screen(run)

    def quiz_screen(self, run: QuizRun) -> BlockMessage:
        """The run's current question, or its final score once every question is answered."""
        question = current_question(run, self.answers.knowledge.quiz)
        if question is None:
            return render_quiz_score(run.score, len(run.order), tour=self.has_tour)
        order = self.rng.sample(range(len(question.options)), len(question.options))
        return render_quiz_question(
            question, run.position + 1, len(run.order), run.model_dump_json(), order
        )

    def quiz_answer(self, state: str, choice: int) -> tuple[QuizRun | None, BlockMessage]:
        """Feedback on `choice` for the run carried in `state`; a broken state starts over."""
        questions = self.answers.knowledge.quiz
        run = parse_run(state, questions)
        answer = answer_question(run, questions, choice) if run else None
        if answer is None:
            return self.quiz_start()
        entry = self.answers.entry(answer.question.entry)
        message = render_quiz_feedback(
            answer,
            entry.title if entry else None,
            answer.run.model_dump_json(),
            len(answer.run.order),
        )
        return answer.run, message

    def quiz_next(self, state: str) -> tuple[QuizRun | None, BlockMessage]:
        """The next question (or the score) of the run carried in `state`."""
        run = parse_run(state, self.answers.knowledge.quiz)
        if run is None:
            return self.quiz_start()
        return run, self.quiz_screen(run)
