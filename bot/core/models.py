"""The domain's models: knowledge, matches, replies, commands, onboarding and insights."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from bot.store.records import EntryVotes, ProgressKind, SurfaceBandCount

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
SlackUserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,}$")]


class Strict(BaseModel):
    """Base for models read from files people edit: unknown fields are typos, not data."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- comparison -------------------------------------------------------------


class ComparisonRow(Strict):
    """One line of a VM-against-container comparison."""

    aspect: Text
    vm: Text
    container: Text


class MatrixRow(ComparisonRow):
    """A row of the shared comparison matrix (`knowledge/comparison.yaml`)."""

    id: Slug


# --- diagrams ---------------------------------------------------------------

LayerKind = Literal[
    "app", "runtime", "guest_os", "kernel", "hypervisor", "host_os", "hardware", "vm"
]


class Box(Strict):
    """One labelled box of a diagram; `kind` decides its colour."""

    label: Text
    kind: LayerKind


class Stack(Strict):
    """A column of rows drawn top to bottom; a row holds boxes side by side."""

    title: Text
    rows: list[list[Box]] = Field(min_length=1)


class DiagramSpec(Strict):
    """A diagram as data (`knowledge/diagrams.yaml`): one or more stacks side by side."""

    id: Slug
    title: Text
    alt: Text
    stacks: list[Stack] = Field(min_length=1, max_length=3)
    caption: str = ""


# --- knowledge entries ------------------------------------------------------


class EntryFrontMatter(Strict):
    """The YAML front matter of one `knowledge/entries/*.md` file."""

    id: Slug
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=140)]
    questions: list[Text] = Field(min_length=1)
    keywords: list[Text] = []
    tags: list[Slug] = []
    related: list[Slug] = []
    comparison: list[Slug | ComparisonRow] = []
    diagram: Slug | None = None
    sources: list[HttpUrl] = Field(min_length=1)  # where its facts come from
    owner: SlackUserId | None = None  # who keeps the answer true
    verified: date | None = None  # when a person last checked it
    review_every: int | None = Field(default=None, ge=1, le=3650)  # days between checks

    @field_validator("review_every")
    @classmethod
    def _review_needs_a_date(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("verified") is None:
            raise ValueError("needs a verified date to count from")
        return value


class Entry(Strict):
    """A knowledge entry, resolved: comparison rows filled in, answer text attached."""

    id: str
    title: str
    questions: list[str]
    keywords: list[str]
    tags: list[str]
    related: list[str]
    comparison: list[ComparisonRow]
    diagram: str | None
    sources: list[str]
    answer: str
    source: Path
    owner: str | None = None
    verified: date | None = None
    review_every: int | None = None

    @property
    def review_due(self) -> date | None:
        """The day the answer is due for another check, when it has a review period."""
        if self.verified is None or self.review_every is None:
            return None
        return self.verified + timedelta(days=self.review_every)

    def is_stale(self, today: date) -> bool:
        """True from the review date on."""
        due = self.review_due
        return due is not None and today >= due


# --- onboarding: tour and quiz ----------------------------------------------


class TourStep(Strict):
    """One stop of the tour: an entry to read and a line saying why it comes now."""

    entry: Slug
    intro: Text


class Tour(Strict):
    """The learning path (`knowledge/tour.yaml`): entries in the order a newcomer reads them."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    steps: list[TourStep] = Field(min_length=2, max_length=20)


class QuizOption(Strict):
    """One answer offered for a quiz question; exactly one per question is `right`."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=75)]
    right: bool = False


class QuizQuestion(Strict):
    """A quiz question (`knowledge/quiz.yaml`) and the entry its explanation points to."""

    id: Slug
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    options: list[QuizOption] = Field(min_length=2, max_length=5)
    explanation: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
    ]
    entry: Slug

    @property
    def right_index(self) -> int:
        """Index of the right option (the loader guarantees there is exactly one)."""
        return next(index for index, option in enumerate(self.options) if option.right)


class QuizRun(BaseModel):
    """One run through the quiz, carried in button values: the shuffled order and the score."""

    model_config = ConfigDict(frozen=True)

    order: list[Slug] = Field(min_length=1, max_length=20)
    position: int = Field(default=0, ge=0)
    score: int = Field(default=0, ge=0)

    @property
    def finished(self) -> bool:
        return self.position >= len(self.order)


class QuizAnswer(BaseModel):
    """The verdict on one answer: what was chosen, whether it was right, and the run after it."""

    model_config = ConfigDict(frozen=True)

    question: QuizQuestion
    choice: int
    correct: bool
    run: QuizRun


# --- vocabulary -------------------------------------------------------------


Word = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+$")]


class Vocabulary(Strict):
    """How people name things (`knowledge/vocabulary.yaml`): spellings and short forms folded
    into the word the entries use, two-word phrases read as one token, products linked to what
    they are, the words that ask for a picture, and the words of chat that name no topic."""

    aliases: dict[Word, Word] = {}
    phrases: dict[Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+ [a-z0-9]+$")], Word] = {}
    products: dict[Word, list[Word]] = {}
    picture: list[Word] = []
    chat: list[Word] = []

    @field_validator("chat")
    @classmethod
    def _chat_names_no_topic(cls, chat: list[str], info: ValidationInfo) -> list[str]:
        """A chat word is read past: as an alias or a product too, it would mean two things."""
        named = {*info.data.get("aliases", {}), *info.data.get("products", {})}
        if both := sorted(named.intersection(chat)):
            raise ValueError(f"also an alias or a product: {', '.join(both)}")
        return chat


class ScopeTopic(Strict):
    """A topic next door that the bot does not cover (`knowledge/scope.yaml`): its words count
    against a question, and a question declined for it is pointed to the right docs."""

    id: Slug
    name: Text
    words: list[Word] = Field(min_length=1)
    docs: HttpUrl


class Scope(Strict):
    """What the bot covers, in a line it can say, and the topics next door it does not."""

    covers: Text
    topics: list[ScopeTopic] = []


class KnowledgeBase(Strict):
    """Everything loaded from a knowledge folder, validated as a whole."""

    version: str = ""  # a digest of every file read: which knowledge this is
    vocabulary: Vocabulary = Vocabulary()
    scope: Scope | None = None
    entries: dict[str, Entry]
    matrix: list[MatrixRow]
    diagrams: dict[str, DiagramSpec]
    tour: Tour | None = None
    quiz: list[QuizQuestion] = []


# --- matching ---------------------------------------------------------------


# Defaults of MATCH_ANSWER_THRESHOLD and MATCH_SUGGEST_THRESHOLD, the scores that make the
# bands, chosen on the recognition benchmark's dev set (benchmarks/bench_recognition.py, all
# three batches) for most right answers with a wrong answer counted three times a right one;
# the suggest threshold then for at least 95% of the off-topic questions declined (a "did you
# mean" on one of them counts as not declined). Here rather than in
# `bot.core.matching`, so the settings need no numpy to know them.
ANSWER_THRESHOLD = 50.0
SUGGEST_THRESHOLD = 48.0


class Band(StrEnum):
    """How sure the matcher is: answer, offer choices, or decline."""

    ANSWER = "answer"
    SUGGEST = "suggest"
    NONE = "none"


class Candidate(BaseModel):
    """An entry and how well the question matched it."""

    model_config = ConfigDict(frozen=True)

    entry: Entry
    score: float = Field(ge=0, le=100)
    phrase: str


class Match(BaseModel):
    """The matcher's verdict for one question."""

    model_config = ConfigDict(frozen=True)

    question: str
    band: Band
    best: Candidate | None
    runner_ups: list[Candidate] = Field(default_factory=list, max_length=3)
    picture: bool = False  # the question asks for a diagram or picture
    out_of_scope: str | None = None  # the id of a scope topic the question names

    @property
    def entry(self) -> Entry | None:
        return self.best.entry if self.best else None

    @property
    def score(self) -> float:
        return self.best.score if self.best else 0.0


# --- replies ----------------------------------------------------------------


class TopicLink(BaseModel):
    """A pointer to another entry: a related topic or a "did you mean" choice."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    score: float | None = None


class Reply(BaseModel):
    """What the bot says about one question, before it is drawn as text or Block Kit."""

    model_config = ConfigDict(frozen=True)

    band: Band
    question: str
    entry_id: str | None = None
    title: str | None = None
    score: float = 0.0
    answer: str
    comparison: list[ComparisonRow] = Field(default_factory=list)
    diagram: DiagramSpec | None = None
    related: list[TopicLink] = Field(default_factory=list)
    suggestions: list[TopicLink] = Field(default_factory=list)
    why: str = ""
    owner: str | None = None
    verified: date | None = None
    review_due: date | None = None  # set only once the date has come: the card says so


# --- slash command ----------------------------------------------------------


class Subcommand(StrEnum):
    """What `/vmdocker` was asked to do."""

    HELP = "help"
    TOPICS = "topics"
    COMPARE = "compare"
    DIAGRAM = "diagram"
    TOUR = "tour"
    QUIZ = "quiz"
    ASK = "ask"


class ParsedCommand(BaseModel):
    """The subcommand and what follows it (the question itself for ASK)."""

    model_config = ConfigDict(frozen=True)

    subcommand: Subcommand
    argument: str = ""


# --- onboarding progress and insights ---------------------------------------


class TourProgress(BaseModel):
    """A user's place in the tour, as onboarding saves it for the Home tab."""

    model_config = ConfigDict(frozen=True)
    kind: ClassVar[ProgressKind] = "tour"

    step: int = Field(ge=0)  # 1-based step reached (0: not started)
    of: int = Field(ge=1)
    done: bool = False


class QuizProgress(BaseModel):
    """A user's latest quiz run, as onboarding saves it for the Home tab."""

    model_config = ConfigDict(frozen=True)
    kind: ClassVar[ProgressKind] = "quiz"

    answered: int = Field(ge=0)
    score: int = Field(ge=0)
    of: int = Field(ge=1)
    done: bool = False


class MissGroup(BaseModel):
    """Unanswered questions similar enough to be one missing topic, most asked wording first."""

    model_config = ConfigDict(frozen=True)

    question: str
    count: int = Field(ge=1)
    variants: list[str] = Field(min_length=1)


class Insights(BaseModel):
    """What authors need to improve the knowledge: answer rate, misses, disliked entries."""

    model_config = ConfigDict(frozen=True)

    since: datetime
    until: datetime
    total: int = Field(ge=0)
    answered: int = Field(ge=0)
    by_surface_band: list[SurfaceBandCount] = Field(default_factory=list)
    unanswered: int = Field(ge=0)
    misses: list[MissGroup] = Field(default_factory=list)
    question_text_stored: bool = True
    disliked: list[EntryVotes] = Field(default_factory=list)

    @property
    def answer_rate(self) -> float | None:
        """Share of questions answered outright, or None when nobody asked anything."""
        return self.answered / self.total if self.total else None

    def count_by(self, key: Literal["surface", "band"]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.by_surface_band:
            name = str(getattr(row, key))
            counts[name] = counts.get(name, 0) + row.count
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
