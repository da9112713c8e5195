"""Which entry a text's letters most likely come from: naive Bayes over character n-grams.

A second opinion beside the word-level signals of `bot.core.matching`. It reads letters, not
words, so a misspelt, run-together or unlisted word ("virtualised", "dockerdesktopvm",
"multi-tenant") still shares most of its n-grams with the knowledge's own words, and it never
counts a word as unknown.

Every key phrase and answer sentence of an entry is one document. A text's n-grams are the runs
of 2 to 5 letters inside each of its words padded with a space at both ends (" vm", "vm "),
weighted by inverse document frequency; a document counts each sublinearly (1 + ln count) and
is scaled to unit length. An entry's n-gram weights are the sums over its documents; a text's
likelihood under an entry is that of a multinomial over those weights, additively smoothed. A
question counts its n-grams linearly, so its score is the sum of its words' scores, each worked
out once (`Letters._word`), over its length (the root of its words' squared weights, as if no
two of its words shared an n-gram).

`bot.core.matching` weighs long messages by it: on the recognition benchmark's dev set it turned
away most wrong answers to long stories, while short questions, which the words alone read well,
lost more than they gained.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from bot.core.normalize import words_of

NGRAM_SIZES = range(2, 6)
SMOOTHING = 0.3  # added to every entry's weight for every n-gram (chosen on the dev set)
WORDS_KEPT = 4096  # words whose gains per entry are kept worked out


@lru_cache(maxsize=65536)
def word_ngrams(word: str) -> tuple[str, ...]:
    """The n-grams of one word; a word no longer than a size once whole."""
    padded = f" {word} "
    found: list[str] = []
    for size in NGRAM_SIZES:
        if len(padded) <= size:
            found.append(padded)
            break
        found.extend(padded[start : start + size] for start in range(len(padded) - size + 1))
    return tuple(found)


def ngrams(text: str) -> Counter[str]:
    """The n-grams of the words of `text`, with their counts."""
    found: Counter[str] = Counter()
    for word in words_of(text):
        found.update(word_ngrams(word))
    return found


class Letters:
    """The n-gram weights of every entry, kept as one flat run of (entry, gain) per n-gram."""

    def __init__(self, documents: Iterable[tuple[int, str]], entries: int) -> None:
        counted = [(entry, grams) for entry, text in documents if (grams := ngrams(text))]
        frequency = Counter(gram for _, grams in counted for gram in grams)
        self.column = {gram: column for column, gram in enumerate(frequency)}
        seen_in = np.fromiter(frequency.values(), dtype=float, count=len(frequency))
        self.idf = np.log((1 + len(counted)) / (1 + seen_in)) + 1
        parts = [(np.zeros(0, np.int64), np.zeros(0), 0)]  # per document: columns, values, entry
        for entry, grams in counted:
            columns = np.fromiter(map(self.column.__getitem__, grams), np.int64, len(grams))
            counts = np.fromiter(grams.values(), float, len(grams))
            values = (1 + np.log(counts)) * self.idf[columns]
            parts.append((columns, values / np.linalg.norm(values), entry))
        columns = np.concatenate([part[0] for part in parts])
        values = np.concatenate([part[1] for part in parts])
        owners = np.concatenate([np.full(len(part[0]), part[2]) for part in parts])
        totals = np.bincount(owners, weights=values, minlength=entries)
        # An entry's weight for an n-gram, summed over its documents: one (column, entry) pair
        # per n-gram and entry that has it, sorted by column.
        pairs, which = np.unique(columns * entries + owners, return_inverse=True)
        weight = np.bincount(which, weights=values)
        self.entry = pairs % entries
        self.lengths = np.bincount(pairs // entries, minlength=len(self.column))
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        # log P(gram | entry) = log(SMOOTHING + weight) - log(total): the part every entry has
        # (`unseen`) and, for the entries that have the gram, its gain over that part.
        self.unseen = np.log(SMOOTHING / (totals + SMOOTHING * max(1, len(self.column))))
        self.gain = np.log1p(weight / SMOOTHING)

    def _known(self, grams: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
        """The n-grams of `grams` the knowledge has, as columns, and their counts."""
        known = [(self.column[gram], count) for gram, count in grams.items() if gram in self.column]
        columns = np.fromiter((column for column, _ in known), dtype=np.int64, count=len(known))
        counts = np.fromiter((count for _, count in known), dtype=float, count=len(known))
        return columns, counts

    @lru_cache(maxsize=WORDS_KEPT)  # noqa: B019 - emptied when a matcher is replaced
    def _word(self, word: str) -> tuple[float, float, np.ndarray]:
        """One occurrence of `word`: its known n-grams' weight and squared weight, and per entry
        their weighted gain."""
        columns, counts = self._known(Counter(word_ngrams(word)))
        values = counts * self.idf[columns]
        lengths = self.lengths[columns]
        offsets = self.starts[columns] - np.cumsum(lengths) + lengths
        rows = np.repeat(offsets, lengths) + np.arange(lengths.sum())
        gains = np.bincount(
            self.entry[rows],
            weights=self.gain[rows] * np.repeat(values, lengths),
            minlength=len(self.unseen),
        )
        return float(values.sum()), float(values @ values), gains

    @lru_cache(maxsize=256)  # noqa: B019 - a question once per match; emptied as _word is
    def likelihood(self, text: str) -> np.ndarray:
        """Per entry, how likely `text`'s letters are under it, over the likeliest entry's
        (1 for the likeliest; all 1 for a text without a known n-gram). Read-only: the last
        texts weighed are remembered."""
        total = square = 0.0
        gains = np.zeros(len(self.unseen))
        for word, times in Counter(words_of(text)).items():
            weight, squared, word_gains = self._word(word)
            total += times * weight
            square += times * times * squared
            gains += times * word_gains
        if not total:
            relative = np.ones(len(self.unseen))
        else:
            log_score = (self.unseen * total + gains) / math.sqrt(square)
            relative = np.exp(log_score - log_score.max())
        relative.flags.writeable = False  # shared by every caller of the remembered text
        return relative
