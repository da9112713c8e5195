"""Onboarding's core: the greeting, tour steps and quiz runs as data in, screens as data out.

Each step returns the screen to show and the progress to save (for the Home tab); drawing it is
`bot.render.onboarding`'s job. State lives in the buttons (a tour step index, a `QuizRun` as
JSON), so any app process can handle the next click, and a restart loses nothing. Values from
Slack are untrusted: a stale or forged one falls back to the start instead of failing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core.answers import Answers
from bot.core.models import (
    ComparisonRow,
    DiagramSpec,
    QuizAnswer,
    QuizProgress,
    QuizQuestion,
    QuizRun,
    Reply,
    TourProgress,
)

PRIMER_POINTS: tuple[tuple[str, ...], ...] = (
    ("virtualizes", "kernel"),
    ("image-size",),
    ("start-time",),
)
GREETING_DIAGRAM = "container-vs-vm"
QUIZ_LENGTH = 10  # 10 ids of <= 60 characters: a run stays far below a button value's 2000


class Screen(BaseModel):
    """One onboarding screen, as data; `tour` and `quiz` say which next steps to offer."""

    model_config = ConfigDict(frozen=True)

    tour: bool = False
    quiz: bool = False


class Greeting(Screen):
    """The private welcome: a short primer, the diagram, and where to go next."""

    user_id: str
    primer: list[list[ComparisonRow]]
    diagram: DiagramSpec | None


class HowToAsk(Screen):
    """How to reach the bot."""


class TourStepScreen(Screen):
    """Step `index` (0-based) of `total`: why it comes now, and the entry's answer card."""

    title: str
    index: int
    total: int
    intro: str
    reply: Reply


class TourDone(Screen):
    """The end of the tour."""

    total: int


class QuizQuestionScreen(Screen):
    """Question `number` of `total`, its options shown in `order`; `state` is the run as JSON."""

    question: QuizQuestion
    number: int
    total: int
    state: str
    order: list[int]


class QuizFeedback(Screen):
    """Right or wrong, the explanation, and the run after this answer (as JSON in `state`)."""

    answer: QuizAnswer
    entry_title: str | None
    state: str
    total: int


class QuizScore(Screen):
    """The final score of a run."""

    score: int
    total: int


class Step(BaseModel):
    """What a click leads to: the screen, and the progress to save (None: nothing changed)."""

    model_config = ConfigDict(frozen=True)

    screen: Screen
    progress: TourProgress | QuizProgress | None = None


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


def quiz_progress(run: QuizRun) -> QuizProgress:
    return QuizProgress(
        answered=run.position, score=run.score, of=len(run.order), done=run.finished
    )


@dataclass
class Onboarding:
    """Every onboarding screen, from one knowledge base."""

    answers: Answers
    rng: random.Random = field(default_factory=random.Random)

    @property
    def offers(self) -> dict[str, bool]:
        """Which next steps the knowledge has: a tour, a quiz."""
        knowledge = self.answers.knowledge
        return {"tour": knowledge.tour is not None, "quiz": bool(knowledge.quiz)}

    def primer(self) -> list[list[ComparisonRow]]:
        """The comparison rows behind each primer point; a point with no rows is left out."""
        rows = {row.id: row for row in self.answers.knowledge.matrix}
        points = []
        for ids in PRIMER_POINTS:
            found: list[ComparisonRow] = [rows[row_id] for row_id in ids if row_id in rows]
            if found:
                points.append(found)
        return points

    def greeting(self, user_id: str) -> Greeting:
        diagram = self.answers.knowledge.diagrams.get(GREETING_DIAGRAM)
        return Greeting(user_id=user_id, primer=self.primer(), diagram=diagram, **self.offers)

    def how_to_ask(self) -> HowToAsk:
        return HowToAsk(**self.offers)

    def tour_step(self, index: int) -> Step:
        """Step `index` of the tour, clamped into range (a stale button lands on a real step)."""
        tour = self.answers.knowledge.tour
        if tour is None:
            return Step(screen=self.how_to_ask())
        index = min(max(index, 0), len(tour.steps) - 1)
        step = tour.steps[index]
        reply = self.answers.reply_for_entry(step.entry)
        if reply is None:  # the loader guarantees every step's entry exists
            raise LookupError(f"tour step {index} names unknown entry '{step.entry}'")
        total = len(tour.steps)
        screen = TourStepScreen(
            title=tour.title, index=index, total=total, intro=step.intro, reply=reply, **self.offers
        )
        return Step(screen=screen, progress=TourProgress(step=index + 1, of=total))

    def tour_done(self) -> Step:
        tour = self.answers.knowledge.tour
        if tour is None:
            return Step(screen=self.how_to_ask())
        total = len(tour.steps)
        return Step(
            screen=TourDone(total=total, **self.offers),
            progress=TourProgress(step=total, of=total, done=True),
        )

    def quiz_start(self) -> Step:
        """A fresh run and its first question (the how-to card if there is no quiz)."""
        questions = self.answers.knowledge.quiz
        if not questions:
            return Step(screen=self.how_to_ask())
        run = start_quiz(questions, self.rng)
        return Step(screen=self.quiz_screen(run), progress=quiz_progress(run))

    def quiz_screen(self, run: QuizRun) -> Screen:
        """The run's current question, or its final score once every question is answered."""
        question = current_question(run, self.answers.knowledge.quiz)
        if question is None:
            return QuizScore(score=run.score, total=len(run.order), **self.offers)
        order = self.rng.sample(range(len(question.options)), len(question.options))
        return QuizQuestionScreen(
            question=question,
            number=run.position + 1,
            total=len(run.order),
            state=run.model_dump_json(),
            order=order,
            **self.offers,
        )

    def quiz_answer(self, state: str, choice: int) -> Step:
        """Feedback on `choice` for the run carried in `state`; a broken state starts over."""
        questions = self.answers.knowledge.quiz
        run = parse_run(state, questions)
        answer = answer_question(run, questions, choice) if run else None
        if answer is None:
            return self.quiz_start()
        entry = self.answers.entry(answer.question.entry)
        screen = QuizFeedback(
            answer=answer,
            entry_title=entry.title if entry else None,
            state=answer.run.model_dump_json(),
            total=len(answer.run.order),
            **self.offers,
        )
        return Step(screen=screen, progress=quiz_progress(answer.run))

    def quiz_next(self, state: str) -> Step:
        """The next question (or the score) of the run carried in `state`; a broken state
        starts over, and only then is the progress saved again."""
        run = parse_run(state, self.answers.knowledge.quiz)
        if run is None:
            return self.quiz_start()
        return Step(screen=self.quiz_screen(run))
