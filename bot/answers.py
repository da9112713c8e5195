"""The core every surface shares: the knowledge base, its matcher, and question -> Reply."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.knowledge import load_knowledge
from bot.matching import Matcher
from bot.models import Entry, KnowledgeBase, Match, Reply
from bot.replies import compose_reply, entry_reply


@dataclass(frozen=True)
class Answers:
    """Answers questions from one loaded knowledge base."""

    knowledge: KnowledgeBase
    matcher: Matcher

    @classmethod
    def from_settings(cls, settings: Settings) -> Answers:
        """Load and validate the knowledge folder named by the settings (raises KnowledgeError)."""
        knowledge = load_knowledge(settings.knowledge_dir)
        matcher = Matcher(
            knowledge,
            answer_threshold=settings.match_answer_threshold,
            suggest_threshold=settings.match_suggest_threshold,
        )
        return cls(knowledge=knowledge, matcher=matcher)

    def match(self, question: str) -> Match:
        return self.matcher.match(question)

    def reply_to(self, question: str) -> Reply:
        """The reply to a free-text question: an answer, "did you mean" choices, or a decline."""
        return compose_reply(self.matcher.match(question), self.knowledge)

    def entry(self, entry_id: str) -> Entry | None:
        return self.knowledge.entries.get(entry_id)

    def reply_for_entry(self, entry_id: str) -> Reply | None:
        """The answer card of one entry by id, for topic and suggestion buttons."""
        entry = self.entry(entry_id)
        return entry_reply(entry, self.knowledge) if entry else None
