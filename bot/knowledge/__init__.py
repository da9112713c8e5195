"""Reading the knowledge folder into validated models."""

from bot.knowledge.loader import KnowledgeError, load_knowledge

__all__ = ["KnowledgeError", "load_knowledge"]
