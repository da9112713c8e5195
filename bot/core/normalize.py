"""Turn text typed in Slack into canonical tokens, the same way for questions and entries.

The domain's words (aliases, phrases) come from `knowledge/vocabulary.yaml`; only plain English
stopwords live here.
"""

from __future__ import annotations

import re
from collections import defaultdict

from rapidfuzz import fuzz

from bot.core.models import Vocabulary
from bot.core.text import MAX_QUESTION_CHARS, strip_slack_markup

_EMOJI = re.compile(r":[a-z0-9_+\-']+:")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# "2gb", "30s", "5mins": a number glued to its unit reads as one unknown word; split them.
_NUMBER_UNIT = re.compile(r"\b(\d+(?:\.\d+)?)(kb|mb|gb|tb|megs?|gigs?|ms|s|secs?|mins?|m)\b")
# "should I use / pick / go with": a request for a decision, unlike "how worried should we be".
_DECISION = re.compile(r"\bshould (?:i|we) (?:use|pick|choose|go with|go for)\b")

_SHORT_UNITS = {"s": "sec", "m": "min"}


def _split_number_unit(found: re.Match[str]) -> str:
    number, unit = found.groups()
    return f"{number} {_SHORT_UNITS.get(unit, unit)}"


# Words that carry no topic: greetings, question shape, pronouns, filler. Chat adds its own
# filler ("hey team, sorry for the dumb question"): left in, each such word would count as
# an unknown topic word and sink a real question.
STOPWORDS = frozenset(
    """
    a about actual actually again ages ago all almost already also although always am an and
    another any anybody anyone anything anyway are arent around as ask asked asking asks at away
    back background basic basically be because been before beginner being best better between
    borrow borrows box bring brings but by call can cant carries carry certain certainly cheers
    clarify clear clearly colleague colleagues come comes coming concept concepts confused
    confusing correct could couldnt curious currently day days deal define defined definitely
    definition did didnt do does doesnt doing done dont dr dumb dummies during each easy eg
    either eli eli5 else english especially etc even ever every everybody everyone everything
    exactly example explain explained few fewer fine first five folks for from generally get
    gets getting give glad go going got great guess guys had has hasnt have havent hear heard
    hearing hello help here hey hi hii hmm honest honestly how however i idea ie if im in
    instead into is isnt it its ive just keep keeps kind kinda know laptop laptops last later
    layman least less let lets like literally little lol look looking lot lots main mainly make
    makes manager many matter matters maybe me mean meaning means meant might mind more most
    much multiple must my need never new newbie nice noob now of often oh ok okay on once one
    only or other others our over people per perhaps person plain please pls plz point possible
    possibly pretty probably prod production project put q question questions quick quickly
    quite rather read really reason right roughly said say saying says see seem seems sense
    setup several shall ship ships should shouldnt silly simple simply since slack so some
    somebody someone something somewhat soon sorry sort specific specifically stand stands still
    stuff stupid su sure team teammate tell term terms than thank thanks that thats the their
    them then there these they theyre thing things this those though thought through thx tl tldr
    to today too top topic total totally try trying ty u um under understand understanding
    unless until up us usually version very via vs wait wanna want wanted wanting wants was
    wasnt wat way we weird well went were werent weve what whatever whats when where whether
    which while who whose wht why will with without wonder wondering wont word words work worked
    working works worried worry would wouldnt wut ya yeah yes yet yo you your youre
    """.split()
)

UNSTEMMED = frozenset({"windows"})  # the OS, not the plural of "window"
PHRASE_TYPO_CUTOFF = 80  # "virtual machien" still folds: the second word may be misspelt
PHRASE_TYPO_MIN_LENGTH = 5

# "docker in a VM", "containers on VMs": a place word before "vm" becomes the token "inside",
# so running containers inside VMs is not mistaken for comparing the two.
PLACE_WORDS = frozenset({"in", "inside", "within", "on", "into"})
PLACE_FILLERS = frozenset({"a", "an", "the", "my", "our", "your", "their", "top", "of"})


def _mark_inside(tokens: list[str]) -> list[str]:
    """Turn a place word followed (past fillers) by "vm" into the content token "inside"."""
    marked = list(tokens)
    for index, token in enumerate(tokens):
        if token not in PLACE_WORDS:
            continue
        after = (t for t in tokens[index + 1 :] if t not in PLACE_FILLERS)
        if next(after, None) == "vm":
            marked[index] = "inside"
    return marked


class Normalizer:
    """Canonical content tokens of a text, with the knowledge's vocabulary (aliases, phrases)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.aliases = vocabulary.aliases
        self.phrases: dict[tuple[str, str], str] = {}
        self.phrases_by_first: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
        for phrase, token in vocabulary.phrases.items():
            first, second = phrase.split()
            self.phrases[(first, second)] = token
            self.phrases_by_first[first].append((second, token))

    def _stem(self, token: str) -> str:
        token = self.aliases.get(token, token)
        if token in UNSTEMMED:
            return token
        if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
            token = self.aliases.get(token[:-1], token[:-1])
        return token

    def _phrase(self, first: str, second: str) -> str | None:
        """The token a two-word phrase folds into, tolerating a typo in the second word."""
        exact = self.phrases.get((first, second))
        if exact is not None or len(second) < PHRASE_TYPO_MIN_LENGTH:
            return exact
        for known, token in self.phrases_by_first.get(first, []):
            if (
                len(known) >= PHRASE_TYPO_MIN_LENGTH
                and fuzz.ratio(second, known) >= PHRASE_TYPO_CUTOFF
            ):
                return token
        return None

    def _fold_phrases(self, words: list[str]) -> list[str]:
        folded: list[str] = []
        index = 0
        while index < len(words):
            pair = index + 1 < len(words)
            token = self._phrase(words[index], words[index + 1]) if pair else None
            folded.append(token or words[index])
            index += 2 if token else 1
        return folded

    def tokenize(self, text: str) -> list[str]:
        """Content tokens of `text`: lower case, no markup, no stopwords, aliases folded."""
        text = strip_slack_markup(text[: MAX_QUESTION_CHARS * 4]).casefold()
        text = _DECISION.sub(" choose ", _EMOJI.sub(" ", text).replace("'", ""))
        text = _NUMBER_UNIT.sub(_split_number_unit, text)
        words = _NON_WORD.sub(" ", text).split()[: MAX_QUESTION_CHARS // 3]
        folded = self._fold_phrases(words)
        tokens = _mark_inside([word if word in STOPWORDS else self._stem(word) for word in folded])
        return [token for token in tokens if token not in STOPWORDS]
