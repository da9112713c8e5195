"""The core every surface shares: a question in, a `Reply` out (answer, "did you mean", or a
kind decline), and the self-check that every example question routes to its own entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bot.core.knowledge import load_knowledge
from bot.core.matching import Matcher
from bot.core.models import (
    ANSWER_THRESHOLD,
    SUGGEST_THRESHOLD,
    Band,
    Entry,
    KnowledgeBase,
    Match,
    Reply,
    TopicLink,
)
from bot.core.text import clean_question

DECLINE_TEXT = (
    "I'm not sure about that one. I know about virtual machines and Docker containers: "
    "what each one virtualizes, image sizes, start times, hypervisors, isolation and more. "
    "Try asking something like “what's the difference between a VM and a container?”, "
    "or type `/vmdocker topics` to browse everything I know."
)
SUGGEST_TEXT = "I'm not quite sure what you mean. Did you mean one of these?"


def _confidence(score: float, band: Band) -> str:
    return (
        "high" if band is Band.ANSWER and score >= 90 else "good" if band is Band.ANSWER else "low"
    )


def _links(match: Match, *, with_best: bool) -> list[TopicLink]:
    candidates = [match.best, *match.runner_ups] if with_best and match.best else match.runner_ups
    return [TopicLink(id=c.entry.id, title=c.entry.title, score=c.score) for c in candidates]


def today_utc() -> date:
    """Review dates are days in UTC, the same for every worker."""
    return datetime.now(UTC).date()


def entry_reply(
    entry: Entry,
    knowledge: KnowledgeBase,
    *,
    question: str = "",
    score: float = 100.0,
    suggestions: list[TopicLink] | None = None,
    why: str = "",
    today: date | None = None,
) -> Reply:
    """The answer card for one entry, asked for by question or picked from a list; it says who
    verified it when, and that it is due for review once `today` reaches the review date."""
    stale = entry.is_stale(today or today_utc())
    return Reply(
        band=Band.ANSWER,
        question=question or entry.title,
        entry_id=entry.id,
        title=entry.title,
        score=score,
        answer=entry.answer,
        comparison=entry.comparison,
        diagram=knowledge.diagrams.get(entry.diagram) if entry.diagram else None,
        related=[TopicLink(id=rid, title=knowledge.entries[rid].title) for rid in entry.related],
        suggestions=suggestions or [],
        why=why,
        owner=entry.owner,
        verified=entry.verified,
        review_due=entry.review_due if stale else None,
    )


def decline_text(match: Match, knowledge: KnowledgeBase) -> str:
    """Why the bot does not answer: the topic next door it recognized, with that topic's docs,
    and what it does cover; or the general decline."""
    scope = knowledge.scope
    topic = next((t for t in scope.topics if t.id == match.out_of_scope), None) if scope else None
    if scope is None or topic is None:
        return DECLINE_TEXT
    return (
        f"That sounds like {topic.name}, which I don't cover: the official docs are at "
        f"{topic.docs}. {scope.covers} Type `/vmdocker topics` to browse them."
    )


def with_picture(match: Match, knowledge: KnowledgeBase) -> Entry | None:
    """For a request for a picture, the best candidate that has a diagram."""
    candidates = [match.best, *match.runner_ups] if match.best else []
    return next((c.entry for c in candidates if c.entry.diagram in knowledge.diagrams), None)


def compose_reply(match: Match, knowledge: KnowledgeBase) -> Reply:
    """The reply for `match`: an answer card, "did you mean" choices, or a kind decline. A
    request for a picture is answered with the best entry that has a diagram."""
    best = match.best
    if match.band is Band.NONE or best is None:
        return Reply(band=Band.NONE, question=match.question, answer=decline_text(match, knowledge))
    pictured = with_picture(match, knowledge) if match.picture else None
    if pictured is not None and match.band is Band.ANSWER:
        return entry_reply(
            pictured,
            knowledge,
            question=match.question,
            score=best.score,
            why=f"You asked for a picture: the diagram of “{pictured.title}”",
        )
    if match.band is Band.SUGGEST:
        return Reply(
            band=Band.SUGGEST,
            question=match.question,
            score=best.score,
            answer=SUGGEST_TEXT,
            suggestions=_links(match, with_best=True),
            why=f"Closest phrase: “{best.phrase}” ({best.score:.0f}/100, low confidence)",
        )
    return entry_reply(
        best.entry,
        knowledge,
        question=match.question,
        score=best.score,
        suggestions=_links(match, with_best=False),
        why=(
            f"Matched “{best.phrase}” ({best.score:.0f}/100, "
            f"{_confidence(best.score, match.band)} confidence)"
        ),
    )


@dataclass(frozen=True)
class Answers:
    """Answers questions from one loaded knowledge base."""

    knowledge: KnowledgeBase
    matcher: Matcher

    @classmethod
    def load(
        cls,
        folder: Path,
        *,
        answer_threshold: float = ANSWER_THRESHOLD,
        suggest_threshold: float = SUGGEST_THRESHOLD,
    ) -> Answers:
        """Load and validate the knowledge `folder` (raises KnowledgeError)."""
        knowledge = load_knowledge(folder)
        matcher = Matcher(
            knowledge, answer_threshold=answer_threshold, suggest_threshold=suggest_threshold
        )
        return cls(knowledge=knowledge, matcher=matcher)

    def with_learned(self, phrasings: Mapping[str, list[str]]) -> Answers:
        """These answers with taught wordings added to their entries' example questions (ids
        no longer in the knowledge are skipped); the matcher is built anew, same thresholds."""
        entries = {}
        for entry_id, entry in self.knowledge.entries.items():
            known = {question.casefold() for question in entry.questions}
            extra = [q for q in phrasings.get(entry_id, []) if q.casefold() not in known]
            entries[entry_id] = (
                entry.model_copy(update={"questions": [*entry.questions, *extra]})
                if extra
                else entry
            )
        knowledge = self.knowledge.model_copy(update={"entries": entries})
        matcher = Matcher(
            knowledge,
            answer_threshold=self.matcher.answer_threshold,
            suggest_threshold=self.matcher.suggest_threshold,
        )
        return Answers(knowledge=knowledge, matcher=matcher)

    def routes_to(self, question: str) -> str | None:
        """The entry a question is answered with outright, or None (suggestions, a decline)."""
        match = self.match(question)
        return match.entry.id if match.band is Band.ANSWER and match.entry else None

    def match(self, question: str) -> Match:
        return self.matcher.match(clean_question(question))

    def reply_to(self, question: str) -> Reply:
        """The reply to a free-text question: an answer, "did you mean" choices, or a decline."""
        return compose_reply(self.match(question), self.knowledge)

    def entry(self, entry_id: str) -> Entry | None:
        return self.knowledge.entries.get(entry_id)

    def reply_for_entry(self, entry_id: str) -> Reply | None:
        """The answer card of one entry by id, for topic and suggestion buttons."""
        entry = self.entry(entry_id)
        return entry_reply(entry, self.knowledge) if entry else None

    def routing_failures(self) -> list[str]:
        """One line per example question that does not land on its own entry to be answered."""
        failures = []
        for entry in self.knowledge.entries.values():
            for question in entry.questions:
                match = self.match(question)
                got = match.entry.id if match.entry else "nothing"
                if match.band is not Band.ANSWER or got != entry.id:
                    failures.append(
                        f"{entry.source}: question “{question}” went to {got} "
                        f"({match.band.value}, {match.score:.0f}/100)"
                    )
        return failures
