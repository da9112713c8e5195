"""Turn the matcher's verdict into a `Reply`: what to say, independent of how it is drawn."""

from __future__ import annotations

from bot.models import Band, Entry, KnowledgeBase, Match, Reply, TopicLink

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


def compose_reply(match: Match, knowledge: KnowledgeBase) -> Reply:
    """Build the reply for `match`: an answer card, "did you mean" choices, or a kind decline."""
    best = match.best
    if match.band is Band.NONE or best is None:
        return Reply(band=Band.NONE, question=match.question, answer=DECLINE_TEXT)
    candidates = [best, *match.runner_ups]
    if match.band is Band.SUGGEST:
        return Reply(
            band=Band.SUGGEST,
            question=match.question,
            score=best.score,
            answer=SUGGEST_TEXT,
            suggestions=[
                TopicLink(id=c.entry.id, title=c.entry.title, score=c.score) for c in candidates
            ],
            why=f"Closest phrase: “{best.phrase}” ({best.score:.0f}/100, low confidence)",
        )
    return entry_reply(
        best.entry,
        knowledge,
        question=match.question,
        score=best.score,
        suggestions=[
            TopicLink(id=c.entry.id, title=c.entry.title, score=c.score) for c in match.runner_ups
        ],
        why=(
            f"Matched “{best.phrase}” ({best.score:.0f}/100, "
            f"{_confidence(best.score, match.band)} confidence)"
        ),
    )


def entry_reply(
    entry: Entry,
    knowledge: KnowledgeBase,
    *,
    question: str = "",
    score: float = 100.0,
    suggestions: list[TopicLink] | None = None,
    why: str = "",
) -> Reply:
    """The answer card for one entry, asked for by question or picked from a list."""
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
    )
