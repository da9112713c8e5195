"""Match a free-text question to the best knowledge entry, or decline. No Slack imports.

Two signals, both computed for all entries at once with numpy and rapidfuzz:

* coverage: how much of the question (its content tokens, weighted by rarity) the entry's
  vocabulary explains. Words the knowledge base has never seen count against it as much as
  its rarest word, which is what declines "kernel of corn" or "git rebase vs merge"; so chat
  filler must be a stopword (`bot.core.normalize`), and unknown numbers count for nothing. A typo
  of a known word (same first letter, rapidfuzz ratio >= TYPO_CUTOFF) counts as that word.
* similarity: the best rapidfuzz score of the question against the entry's title, example
  questions and keywords (tokens sorted, so word order does not matter).

score = 100 * coverage * sqrt(similarity / 100). Since similarity <= 100, coverage alone
bounds the score, so similarity is only computed for entries whose coverage could pass.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

import numpy as np
from rapidfuzz import fuzz, process

from bot.core.models import Band, Candidate, Entry, KnowledgeBase, Match
from bot.core.normalize import Normalizer
from bot.core.text import clean_question

ANSWER_THRESHOLD = 72.0  # defaults of MATCH_ANSWER_THRESHOLD and MATCH_SUGGEST_THRESHOLD
SUGGEST_THRESHOLD = 52.0
TYPO_CUTOFF = 80  # rapidfuzz ratio for a misspelt word to count as a known one
TYPO_MIN_LENGTH = 4  # shorter words are too ambiguous to correct
RUNNER_UPS = 3


class Matcher:
    """Precomputes everything about the knowledge base once; `match` is then cheap."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        answer_threshold: float = ANSWER_THRESHOLD,
        suggest_threshold: float = SUGGEST_THRESHOLD,
    ) -> None:
        self.answer_threshold = answer_threshold
        self.suggest_threshold = suggest_threshold
        self.entries: list[Entry] = list(knowledge.entries.values())
        self.normalizer = Normalizer(knowledge.vocabulary)

        phrases: list[str] = []
        sources: list[str] = []
        owners: list[int] = []
        postings: defaultdict[str, set[int]] = defaultdict(set)
        for index, entry in enumerate(self.entries):
            for phrase in [entry.title, *entry.questions, *entry.keywords]:
                canonical = " ".join(sorted(set(self.normalizer.tokenize(phrase))))
                if not canonical:
                    continue
                phrases.append(canonical)
                sources.append(phrase)
                owners.append(index)
                for token in canonical.split():
                    postings[token].add(index)

        self.phrase_text = np.array(phrases, dtype=object)
        self.phrase_source = sources
        self.phrase_owner = np.array(owners, dtype=np.int64)
        total = len(self.entries)
        self.postings = {token: np.fromiter(ids, dtype=np.int64) for token, ids in postings.items()}
        self.weight = {
            token: math.log(1 + total / len(ids)) for token, ids in self.postings.items()
        }
        self.unknown_weight = math.log(1 + total)
        # Typos keep the first letter ("kernal", "dcoker"); other words that merely contain a
        # known one ("resize", "unsecure") are different words.
        self.vocabulary_by_initial: defaultdict[str, list[str]] = defaultdict(list)
        for token in self.postings:
            self.vocabulary_by_initial[token[0]].append(token)

    def _known(self, token: str) -> str | None:
        """The vocabulary word `token` stands for (itself, or a typo of it), if any."""
        if token in self.postings:
            return token
        if len(token) < TYPO_MIN_LENGTH or not re.search(r"[a-z]", token):
            return None
        found = process.extractOne(
            token,
            self.vocabulary_by_initial.get(token[0], []),
            scorer=fuzz.ratio,
            score_cutoff=TYPO_CUTOFF,
        )
        return found[0] if found else None

    def coverage(self, tokens: list[str]) -> np.ndarray:
        """Per entry, the share of the question's token weight that the entry knows."""
        covered = np.zeros(len(self.entries))
        total = 0.0
        for token in tokens:
            known = self._known(token)
            if known is None:
                if not token.isdigit():  # "the 30 second version": a number names no topic
                    total += self.unknown_weight
                continue
            total += self.weight[known]
            covered[self.postings[known]] += self.weight[known]
        return covered / total if total else covered

    def match(self, question: str) -> Match:
        """Score `question` against every entry and sort it into a band."""
        tokens = list(dict.fromkeys(self.normalizer.tokenize(question)))
        readable = clean_question(question)
        if not tokens:
            return Match(question=readable, band=Band.NONE, best=None)
        known = [self._known(token) or token for token in tokens]
        coverage = self.coverage(tokens)
        floor = self.suggest_threshold / 100
        hopeful = np.flatnonzero(coverage >= floor)
        if hopeful.size == 0:
            return Match(question=readable, band=Band.NONE, best=None)

        wanted = np.zeros(len(self.entries), dtype=bool)
        wanted[hopeful] = True
        rows = np.flatnonzero(wanted[self.phrase_owner])
        choices = self.phrase_text[rows]
        query = " ".join(sorted(set(known)))
        similarity = process.cdist([query], choices, scorer=fuzz.ratio, dtype=np.float32)[0]

        owners = self.phrase_owner[rows]
        best_similarity = np.zeros(len(self.entries), dtype=np.float32)
        np.maximum.at(best_similarity, owners, similarity)
        scores = 100 * coverage * np.sqrt(best_similarity / 100)

        order = hopeful[np.argsort(-scores[hopeful], kind="stable")][: RUNNER_UPS + 1]
        candidates = []
        for index in order:
            if scores[index] < self.suggest_threshold:
                break
            mine = rows[owners == index]
            best_row = mine[np.argmax(similarity[owners == index])]
            candidates.append(
                Candidate(
                    entry=self.entries[index],
                    score=round(float(scores[index]), 1),
                    phrase=self.phrase_source[best_row],
                )
            )
        if not candidates:
            return Match(question=readable, band=Band.NONE, best=None)
        best = candidates[0]
        band = Band.ANSWER if best.score >= self.answer_threshold else Band.SUGGEST
        return Match(question=readable, band=band, best=best, runner_ups=candidates[1:])
