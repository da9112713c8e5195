"""Match a free-text question to the best knowledge entry, or decline. No Slack imports.

Each entry has two fields: its key phrases (title, example questions, keywords) and its answer
text. Three signals are computed for every entry at once (numpy, rapidfuzz):

* in_domain: the share of the question's weight that the knowledge base knows at all. A word's
  weight is how rare it is in English (`bot.core.normalize`), so a rare word the knowledge has
  never seen ("terraform") sinks a question while a common framing word ("regarded") barely
  counts. A typo of a known word (same first letter, rapidfuzz ratio >= TYPO_CUTOFF) counts as
  that word. Tokens the vocabulary implies (a product's kinds, places) are not words the
  question says: they take part in matching but not in this share.
* likelihood: which entry's words the question's words most likely come from, as a naive Bayes
  posterior over entries (each word weighted by its weight and IDF), so every word of a long
  message adds its evidence.
* fit: how much of the question one entry explains (its key phrases in full, its answer text by
  BODY_SHARE), times the similarity of the question to the closest key phrase (an IDF-weighted
  F1 of their stems). A long message is also read sentence by sentence (the sentence that asks
  is often one of several) and the best reading counts.

confidence = 100 * in_domain * likelihood * sqrt(fit / 100), where likelihood is the entry's
posterior over the likeliest entry's (1 for the likeliest). A long message's confidence is also
weighed by how likely its letters are under the entry (`bot.core.letters`), over the likeliest
entry's, to the power LETTER_POWER: a story whose words happen to fit one entry but whose
letters are like another's is not answered with the first. Bands by the thresholds below: an
answer leads the runner-up by ANSWER_MARGIN, or, below the answer threshold, leads it clearly
(`Matcher.band`).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.core.letters import Letters
from bot.core.models import (
    ANSWER_THRESHOLD,
    SUGGEST_THRESHOLD,
    Band,
    Candidate,
    Entry,
    KnowledgeBase,
    Match,
)
from bot.core.normalize import PLACE_PREFIX, SCOPE_PREFIX, Normalizer, Token, english_zipf
from bot.core.text import clean_question

# The answer rule's numbers beside the thresholds (`bot.core.models.ANSWER_THRESHOLD`), chosen
# on the recognition benchmark's dev set (5-fold cross-validation; the clear-lead share again on
# all three dev batches).
ANSWER_MARGIN = 5.0
CLEAR_LEAD_SHARE = 0.6  # a clear lead answers from this share of the answer threshold...
CLEAR_LEAD_RATIO = 0.35  # ...when the runner-up scores at most this share of the best
CLEAR_LEAD_WORDS = 2  # ...for a question with this many key words of its own, no topic next door
TOPIC_WORD_WEIGHT = 0.5  # a topic word is at least this rare (normalize.rarity)
SHARPNESS = 0.15  # how much a flat likelihood over entries lowers the confidence
LETTER_POWER = 0.5  # how much a long message's letters weigh (chosen on the dev set)
BODY_SHARE = 0.5  # a word only in an entry's answer text explains this much of itself
BODY_COUNT = 0.3  # and counts this much as evidence for the entry
SMOOTHING = 0.1  # naive Bayes' additive smoothing of word counts
IN_DOMAIN_POWER = 2.0  # unknown rare words cost more than their share
SCOPE_WEIGHT = 2.0  # a word of a topic next door (scope.yaml) counts as two unknown rare words
TYPO_CUTOFF = 80  # rapidfuzz ratio for a misspelt word to count as a known one
TYPO_MIN_LENGTH = 4  # shorter words are too ambiguous to correct
TYPO_MAX_ZIPF = 2.5  # a word at least this common in English is no typo
LONG_QUESTION_WORDS = 12  # longer messages are also read sentence by sentence
RUNNER_UPS = 3
KEY_MARGIN = 1.0  # a word the knowledge uses this much more often than English (in Zipf)...
KEY_SPAN = 1.5  # ...starts to count as a key word, in full this much further on

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|\n+")


@dataclass(frozen=True)
class Fit:
    """Per entry, how well one reading of a question fits it (0-100), and through which of its
    key phrases."""

    scores: np.ndarray
    phrase_rows: np.ndarray  # per entry, the most similar key phrase (-1: none)


def readings_of(question: str) -> list[str]:
    """The whole question and, for a long one, its first sentence and each sentence that asks."""
    if not _is_long(question):
        return [question]
    sentences = [part.strip() for part in _SENTENCE_END.split(question) if part.strip()]
    asking = [sentence for sentence in sentences if sentence.endswith("?")]
    return list(dict.fromkeys([question, *sentences[:1], *asking]))


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
        self.normalizer = Normalizer(knowledge.vocabulary, knowledge.scope)

        answers = [self.normalizer.tokens(entry.answer) for entry in self.entries]
        key_phrases = [
            [
                (phrase, self.normalizer.tokens(phrase))
                for phrase in [e.title, *e.questions, *e.keywords]
            ]
            for e in self.entries
        ]
        everything = [*answers, *(tokens for found in key_phrases for _, tokens in found)]
        self.letters = Letters(
            (
                (index, text)
                for index, entry in enumerate(self.entries)
                for text in [
                    *(phrase for phrase, _ in key_phrases[index]),
                    *_SENTENCE_END.split(entry.answer),
                ]
            ),
            len(self.entries),
        )
        self.keyness = _keyness(everything)
        share: defaultdict[str, dict[int, float]] = defaultdict(dict)  # explained by an entry
        count: defaultdict[str, dict[int, float]] = defaultdict(dict)  # evidence for an entry
        phrases: list[list[Token]] = []
        self.phrase_source: list[str] = []
        owners: list[int] = []
        for index in range(len(self.entries)):
            for token in answers[index]:
                if token.weight > 0:
                    share[token.stem][index] = BODY_SHARE
                    count[token.stem][index] = BODY_COUNT
            for phrase, phrase_tokens in key_phrases[index]:
                kept = [token for token in phrase_tokens if token.weight > 0]
                for token in kept:
                    share[token.stem][index] = 1.0
                    count[token.stem][index] = count[token.stem].get(index, 0.0) + 1.0
                if kept:
                    phrases.append(kept)
                    self.phrase_source.append(phrase)
                    owners.append(index)

        total = len(self.entries)
        self.share = {stem: _sparse(found) for stem, found in share.items()}
        self.idf = {
            stem: math.log(1 + total / len(found)) / math.log(1 + total)
            for stem, found in share.items()
        }
        # Naive Bayes: log P(word | entry) for the entries that have the word, and the smoothed
        # log P of a word an entry lacks; a question's score per entry adds up its words.
        counts_per_entry = np.zeros(total)
        for found in count.values():
            for index, value in found.items():
                counts_per_entry[index] += value
        denominator = counts_per_entry + SMOOTHING * len(count)
        self.unseen_log = np.log(SMOOTHING / denominator)
        self.seen_log: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for stem, found in count.items():
            entries, values = _sparse(found)
            gain = np.log((values + SMOOTHING) / denominator[entries]) - self.unseen_log[entries]
            self.seen_log[stem] = (entries, gain)
        # Key phrases as weighted bags of stems, for the similarity of a question to each.
        in_phrases: defaultdict[str, list[int]] = defaultdict(list)
        self.phrase_weight = np.zeros(len(phrases))
        for row, tokens in enumerate(phrases):
            for token in tokens:
                in_phrases[token.stem].append(row)
                self.phrase_weight[row] += token.weight * self.idf[token.stem]
        self.in_phrases = {stem: np.array(rows) for stem, rows in in_phrases.items()}
        # A question that says exactly what one entry's key phrase says is that entry's: a
        # verbatim example question answers itself. Phrases two entries share decide nothing,
        # and what the vocabulary implies ("proxmox" is a hypervisor) is not said.
        owner_of: defaultdict[frozenset[str], set[int]] = defaultdict(set)
        row_of: dict[frozenset[str], int] = {}
        for row, tokens in enumerate(phrases):
            stems = _said(tokens)
            owner_of[stems].add(owners[row])
            row_of.setdefault(stems, row)
        self.exact = {
            stems: (next(iter(found)), row_of[stems])
            for stems, found in owner_of.items()
            if len(found) == 1
        }
        self.phrase_owner = np.array(owners, dtype=np.int64)
        # Typos keep the first letter ("kernal", "dcoker") and the length, give or take two
        # letters; words that merely contain a known one ("resize", "standup") are others.
        self.stem_of_word: dict[str, str] = {}
        for text_tokens in everything:
            for token in text_tokens:
                if token.word and token.stem in self.share:
                    self.stem_of_word.setdefault(token.word, token.stem)
        self.words_by_initial: defaultdict[str, list[str]] = defaultdict(list)
        for word in self.stem_of_word:
            self.words_by_initial[word[0]].append(word)

    def _known(self, token: Token) -> str | None:
        """The vocabulary stem `token` stands for (its own, or the one it misspells), if any.
        A real English word ("party", "chrome") is not a typo of a known one."""
        if token.stem in self.share:
            return token.stem
        word = token.word
        if len(word) < TYPO_MIN_LENGTH or not re.search(r"[a-z]", word):
            return None
        if english_zipf(word) >= TYPO_MAX_ZIPF:
            return None
        alike = [
            known
            for known in self.words_by_initial.get(word[0], [])
            if abs(len(known) - len(word)) <= 2
            and not known.startswith(word)
            and not word.startswith(known)
        ]
        found = process.extractOne(word, alike, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        return self.stem_of_word[found[0]] if found else None

    def _resolve(
        self, tokens: Sequence[Token], next_door: int = 0
    ) -> tuple[list[tuple[str, float]], float]:
        """The known stems of `tokens` with their weights, and the in_domain share, counting
        `next_door` words of topics the bot does not cover (scope.yaml) against it."""
        known: list[tuple[str, float]] = []
        known_weight, unknown_weight = 0.0, next_door * SCOPE_WEIGHT
        for token in tokens:
            if token.weight == 0 or token.stem.startswith(SCOPE_PREFIX):
                continue
            stem = self._known(token)
            if stem is None:
                unknown_weight += token.weight
            else:
                weight = max(token.weight, self.keyness.get(stem, 0.0))
                known.append((stem, weight))
                known_weight += 0.0 if token.implied else weight
        if not known:
            return [], 0.0
        return known, (known_weight / (known_weight + unknown_weight)) ** IN_DOMAIN_POWER

    def _posterior(self, known: list[tuple[str, float]]) -> np.ndarray:
        """Naive Bayes posterior over entries, each word weighted by its weight and IDF."""
        log_score = np.zeros(len(self.entries))
        for stem, weight in known:
            evidence = weight * self.idf[stem]
            log_score += evidence * self.unseen_log
            entries, gain = self.seen_log[stem]
            log_score[entries] += evidence * gain
        posterior: np.ndarray = np.exp(log_score - np.max(log_score))
        posterior /= posterior.sum()
        return posterior

    def _fit(self, known: list[tuple[str, float]], ceiling: np.ndarray, floor: float) -> Fit:
        """How much of one reading each entry explains, times its closest key phrase's F1.
        `ceiling` is each entry's confidence at a perfect fit: entries that cannot reach
        `floor` even so do not matter (`match`), and their phrases are not compared."""
        explained = np.zeros(len(self.entries))
        overlap = np.zeros(len(self.phrase_weight))
        specific_total = 0.0
        for stem, weight in known:
            specific = weight * self.idf[stem]
            specific_total += specific
            entries, shares = self.share[stem]
            explained[entries] += specific * shares
            if stem in self.in_phrases:
                overlap[self.in_phrases[stem]] += specific
        scores = np.zeros(len(self.entries))
        phrase_rows = np.full(len(self.entries), -1, dtype=np.int64)
        hopeful = ceiling * np.sqrt(explained / specific_total) >= floor
        rows = np.flatnonzero((overlap > 0) & hopeful[self.phrase_owner])
        if rows.size == 0:
            return Fit(scores, phrase_rows)
        precision = np.minimum(overlap[rows] / self.phrase_weight[rows], 1.0)
        recall = overlap[rows] / specific_total
        similarity = 2 * precision * recall / (precision + recall)
        owners = self.phrase_owner[rows]
        order = np.lexsort((-similarity, owners))  # per owner, its most similar phrase first
        first = np.flatnonzero(np.r_[True, owners[order][1:] != owners[order][:-1]])
        entries = owners[order][first]
        scores[entries] = (
            100 * explained[entries] / specific_total * np.sqrt(similarity[order][first])
        )
        phrase_rows[entries] = rows[order][first]
        return Fit(scores, phrase_rows)

    def _confidence(self, text: str, next_door: int, floor: float) -> Fit | None:
        """One reading's confidence per entry (0-100); None when it says nothing known."""
        known, in_domain = self._resolve(self.normalizer.tokens(text), next_door)
        if not known:
            return None
        likelihood = self._posterior(known)
        sharpness = likelihood.max() ** SHARPNESS  # a question many entries explain is vaguer
        likelihood /= likelihood.max()  # the likeliest entry 1, the others less
        ceiling = 100 * in_domain * sharpness * likelihood
        fit = self._fit(known, ceiling, floor)
        return Fit(ceiling * np.sqrt(fit.scores / 100), fit.phrase_rows)

    def confidence(
        self, question: str, next_door: int = 0, floor: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per entry, the confidence (0-100) that it answers `question`, from its best reading,
        and the key phrase that fits it best (-1: none). `next_door` words of topics the bot
        does not cover, anywhere in the question, count against every reading; a long question
        is weighed by its letters too."""
        readings = [
            reading
            for text in readings_of(question)
            if (reading := self._confidence(text, next_door, floor)) is not None
        ]
        if not readings:
            return np.zeros(len(self.entries)), np.full(len(self.entries), -1, dtype=np.int64)
        stacked = np.stack([reading.scores for reading in readings])
        best = np.argmax(stacked, axis=0)
        rows = np.stack([reading.phrase_rows for reading in readings])
        scores = stacked.max(axis=0)
        if _is_long(question):
            scores *= self.letters.likelihood(question) ** LETTER_POWER
        return scores, rows[best, np.arange(len(self.entries))]

    def match(self, question: str) -> Match:
        """Score `question` against every entry and sort it into a band."""
        readable = clean_question(question)
        picture = self.normalizer.asks_for_picture(readable)
        tokens = self.normalizer.tokens(readable)
        next_door = [
            token.stem.removeprefix(SCOPE_PREFIX)
            for token in tokens
            if token.stem.startswith(SCOPE_PREFIX)
        ]
        out_of_scope = next_door[0] if next_door else None
        may_lead = not next_door and self.topic_words(tokens) >= CLEAR_LEAD_WORDS
        # Entries are scored in full only down to `floor`: first the suggest threshold, lower
        # only while an entry below it could still decide the band (`_floor_needed`).
        floor = self.suggest_threshold
        while True:
            scores, rows = self._scores(readable, tokens, len(next_door), floor)
            ranked, best_score, second = self._ranked(scores, rows)
            needed = self._floor_needed(best_score, may_lead)
            if needed >= floor:
                break
            floor = needed
        band = self.band(best_score, second, may_lead) if ranked else Band.NONE
        if band is Band.NONE:
            return Match(
                question=readable,
                band=Band.NONE,
                best=None,
                picture=picture,
                out_of_scope=out_of_scope,
            )
        best, *runner_ups = [
            Candidate(
                entry=self.entries[index],
                score=round(float(scores[index]), 1),
                phrase=self.phrase_source[rows[index]],
            )
            for index in ranked
            if index == ranked[0] or scores[index] >= self.suggest_threshold
        ]
        return Match(
            question=readable, band=band, best=best, runner_ups=runner_ups, picture=picture
        )

    def topic_words(self, tokens: Sequence[Token]) -> int:
        """How many different words the knowledge knows the question says itself, rare enough
        in English to name a topic (framing words such as "vs" do not count)."""
        said = {
            stem
            for token in tokens
            if not token.implied
            and token.weight >= TOPIC_WORD_WEIGHT
            and (stem := self._known(token)) is not None
        }
        return len(said)

    def _floor_needed(self, best: float, may_lead: bool) -> float:
        """The lowest score an entry can have and still change the band of a question whose
        best entry scores `best`: as a runner-up within the margin or near a clear lead, or as
        a clear lead itself. Past the answer threshold only the margin decides."""
        needed = self.suggest_threshold
        if best >= self.answer_threshold:
            return max(min(needed, best - ANSWER_MARGIN), 0.0)
        lead_from = self.answer_threshold * CLEAR_LEAD_SHARE
        if may_lead:
            needed = min(needed, CLEAR_LEAD_RATIO * best if best >= lead_from else lead_from)
        return max(needed, 0.0)

    def _scores(
        self, readable: str, tokens: Sequence[Token], next_door: int, floor: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """`confidence`, with a question that says exactly an entry's key phrase at 100."""
        scores, rows = self.confidence(readable, next_door, floor)
        asked = _said(tokens)
        if asked in self.exact:
            index, row = self.exact[asked]
            scores[index], rows[index] = 100.0, row
        return scores, rows

    @staticmethod
    def _ranked(scores: np.ndarray, rows: np.ndarray) -> tuple[list[int], float, float]:
        """The best entries that have a key phrase, best first, with the best two scores."""
        ranked = [
            int(index)
            for index in np.argsort(-scores, kind="stable")[: RUNNER_UPS + 1]
            if rows[index] >= 0
        ]
        best = float(scores[ranked[0]]) if ranked else 0.0
        second = float(scores[ranked[1]]) if len(ranked) > 1 else 0.0
        return ranked, best, second

    def band(self, best: float, second: float, may_lead: bool = True) -> Band:
        """The band of a best score and the runner-up's. Sure is past the answer threshold with
        a lead, or, for a question that says enough (`may_lead`), past CLEAR_LEAD_SHARE of it
        with no other entry near (the runner-up at most CLEAR_LEAD_RATIO of it)."""
        lead = best - second >= ANSWER_MARGIN or best == 100.0
        if best >= self.answer_threshold and lead:
            return Band.ANSWER
        clear_lead = may_lead and best > 0 and second <= CLEAR_LEAD_RATIO * best
        if clear_lead and best >= self.answer_threshold * CLEAR_LEAD_SHARE:
            return Band.ANSWER
        return Band.SUGGEST if best >= self.suggest_threshold else Band.NONE


def forget_cached_questions() -> None:
    """Empty what was remembered of the last questions read (`Normalizer.tokens`, `Letters`).
    Those caches are keyed by the instance: a matcher replaced by a reload or a taught wording
    would otherwise stay in memory, arrays and all, until newer questions pushed it out."""
    Normalizer._tokens.cache_clear()
    Letters._word.cache_clear()
    Letters.likelihood.cache_clear()


def _is_long(question: str) -> bool:
    """More words than LONG_QUESTION_WORDS: a message more than a question."""
    return len(question.split()) > LONG_QUESTION_WORDS


def _keyness(texts: Sequence[Sequence[Token]]) -> dict[str, float]:
    """Per stem, 0-1: how much more often the knowledge uses its word than English does.
    "image", "host" or "start" are common English but key words here: they count in full."""
    counts: defaultdict[str, int] = defaultdict(int)
    zipf: dict[str, float] = {}
    for tokens in texts:
        for token in tokens:
            counts[token.stem] += 1
            if token.word:
                zipf[token.stem] = max(zipf.get(token.stem, 0.0), english_zipf(token.word))
    total = sum(counts.values())
    return {
        stem: min(
            1.0, max(0.0, (math.log10(count / total * 1e9) - zipf[stem] - KEY_MARGIN) / KEY_SPAN)
        )
        for stem, count in counts.items()
        if stem in zipf
    }


def _said(tokens: Sequence[Token]) -> frozenset[str]:
    """The stems a text says, for the exact-phrase rule: with the place it names ("in-vm"),
    without the kinds of the products it names."""
    return frozenset(
        token.stem
        for token in tokens
        if token.weight and (not token.implied or token.stem.startswith(PLACE_PREFIX))
    )


def _sparse(found: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """A {entry index: value} dict as index and value arrays."""
    return np.fromiter(found, dtype=np.int64), np.fromiter(found.values(), dtype=float)
