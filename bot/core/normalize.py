"""Text -> tokens, the same way for questions and for the knowledge.

A token is a word's stem (PyStemmer's English Snowball, so deploy, deployed and deployment
meet), after the knowledge's vocabulary (`knowledge/vocabulary.yaml`) has folded spellings,
phrases and products. Beside each token is how rare its word is in English (wordfreq): framing
words such as "point", "regarded" or "manage" are common, so an unknown one barely counts;
"kubernetes" or "terraform" are rare, so an unknown one counts against a question in full.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from rapidfuzz import fuzz

from bot.core.models import Scope, Vocabulary
from bot.core.text import MAX_QUESTION_CHARS, strip_slack_markup

_EMOJI = re.compile(r":[a-z0-9_+\-']+:")
_URL = re.compile(r"\b(?:https?://|www\.)\S+")  # a link pasted as text names no topic
_CHANNEL = re.compile(r"#[a-z0-9_-]+")  # nor does a channel named in it ("#general")
_WORD = re.compile(r"[a-z0-9]+")
_LETTERS_AND_DIGITS = re.compile(r"(?=.*[a-z])(?=.*[0-9])[a-z0-9]+")
_APOSTROPHE = re.compile("['\u2019]")  # straight and typographic
# "2gb", "30s", "5mins": a number glued to its unit reads as one unknown word; split them.
_NUMBER_UNIT = re.compile(r"\b(\d+(?:\.\d+)?)(kb|mb|gb|tb|megs?|gigs?|ms|s|secs?|mins?|m)\b")
_SHORT_UNITS = {"s": "sec", "m": "min"}
# "should I use / pick / go with": a request for a decision, unlike "how worried should we be".
_DECISION = re.compile(r"\bshould (?:i|we) (?:use|pick|choose|go with|go for)\b")

# English commonness on wordfreq's Zipf scale: "the" 7.7, "use" 5.8, "image" 4.9, "kernel"
# 3.6, "hypervisor" 2.2. At COMMON and above a word frames a question; at RARE and below it
# names a topic; in between it is partly both.
COMMON_ZIPF = 5.8
RARE_ZIPF = 3.0
WORDLIST = "small"  # wordfreq's list of common words: quick to load; the rest count as rare

PHRASE_TYPO_CUTOFF = 80  # "virtual machien" still folds: the second word may be misspelt
PHRASE_TYPO_MIN_LENGTH = 5

# "docker in a VM", "Linux containers on Windows": a place word before one of these adds the
# token "in-<place>", so running one thing on another is not read as comparing the two, and
# "Linux on Windows" differs from "Windows on Linux".
PLACE_WORDS = frozenset({"in", "inside", "within", "on", "into", "under", "atop"})
PLACES = frozenset({"vm", "windows", "linux", "mac", "kubernetes", "wsl", "wsl2", "docker"})
VM_KINDS = frozenset({"vm", "hypervisor"})
PLACE_FILLERS = frozenset(
    {"a", "an", "the", "my", "our", "your", "their", "top", "of", "her", "virtual", "virtualize"}
)

# A product a question names ("VMware") weighs this much: often it is only where the question
# happens ("docker won't start in my VMware VM"), and at full weight it pulled such questions to
# the entry that compares the products (chosen on the recognition dev set).
PRODUCT_WEIGHT = 0.5
PLACE_PREFIX = "in-"  # the token of a place a question names ("in-vm"), by `_places`
SCOPE_PREFIX = "scope:"  # the token of a word that names a topic next door (scope.yaml)

_stemmer = Stemmer.Stemmer("english")
# Every plain word (lower-case ASCII letters) of wordfreq's list with its Zipf value: handed
# over by `use_english_words` (then no wordfreq import is needed), or made on first use.
_english_words: dict[str, float] | None = None


def english_words() -> dict[str, float]:
    """Every plain word of wordfreq's English list and its Zipf value, as `english_zipf` gives
    it; a plain word not in the list is 0 there. Made once and kept (`bot.core.prepared`)."""
    from wordfreq import iter_wordlist

    words: dict[str, float] = {}
    for listed in iter_wordlist("en", wordlist=WORDLIST):
        # Questions lose their apostrophes (`words_of`): "doesn't" is read as "doesnt", and is
        # as common as "doesn't".
        word = _APOSTROPHE.sub("", listed)
        if _plain(word):
            words[word] = max(words.get(word, 0.0), _wordfreq_zipf(listed))
    return words


def use_english_words(words: dict[str, float]) -> None:
    """Look plain words up in `words` (made by `english_words`) from now on."""
    global _english_words
    _english_words = words
    english_zipf.cache_clear()


def _plain(word: str) -> bool:
    return word.isascii() and word.isalpha() and word.islower()


def _wordfreq_zipf(word: str) -> float:
    from wordfreq import zipf_frequency  # imported on first use: it takes a quarter second

    return float(zipf_frequency(word, "en", wordlist=WORDLIST))


@lru_cache(maxsize=65536)
def english_zipf(word: str) -> float:
    """How common `word` is in English, on the Zipf scale (0: not in the list); a word written
    without its apostrophe ("dont") as common as with it, letters mixed with digits never."""
    global _english_words
    if _LETTERS_AND_DIGITS.fullmatch(word):
        return 0.0  # "amd64", "win10", "k8s": names and versions, not English words
    if not _plain(word):
        return _wordfreq_zipf(word)
    if _english_words is None:
        _english_words = english_words()
    return _english_words.get(word, 0.0)


def rarity(word: str) -> float:
    """0 for the commonest English words, single letters ("Q.", "a)") and numbers; 1 for rare
    words and numbers-with-letters."""
    if word.isdigit() or len(word) == 1:
        return 0.0
    zipf = english_zipf(word)
    return min(1.0, max(0.0, (COMMON_ZIPF - zipf) / (COMMON_ZIPF - RARE_ZIPF)))


@dataclass(frozen=True)
class Token:
    """One token of a text: the stem compared, and how much its word says (0 to 1)."""

    stem: str
    weight: float
    word: str = ""  # the word it came from (empty for tokens the vocabulary made)
    implied: bool = False  # a product's kind or a place: the question says it only indirectly


def _split_number_unit(found: re.Match[str]) -> str:
    number, unit = found.groups()
    return f"{number} {_SHORT_UNITS.get(unit, unit)}"


def words_of(text: str) -> list[str]:
    """The lower-case words of `text`: no Slack markup, links, channel names, emoji codes or
    punctuation."""
    text = strip_slack_markup(text[: MAX_QUESTION_CHARS * 4]).casefold()
    text = _APOSTROPHE.sub("", _EMOJI.sub(" ", _CHANNEL.sub(" ", _URL.sub(" ", text))))
    text = _DECISION.sub(" choose ", text)
    return _WORD.findall(_NUMBER_UNIT.sub(_split_number_unit, text))


class Normalizer:
    """Tokens of a text, with the knowledge's vocabulary."""

    def __init__(self, vocabulary: Vocabulary, scope: Scope | None = None) -> None:
        self.scope_words = {
            word: topic.id for topic in (scope.topics if scope else []) for word in topic.words
        }
        self.aliases = vocabulary.aliases
        self.products = vocabulary.products
        self.picture = frozenset(vocabulary.picture)
        self.read_past = self.picture | frozenset(vocabulary.chat)  # they name no topic
        self.phrases: dict[tuple[str, str], str] = {}
        self.phrases_by_first: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
        for phrase, token in vocabulary.phrases.items():
            first, second = phrase.split()
            self.phrases[(first, second)] = token
            self.phrases_by_first[first].append((second, token))
        # Phrases, products and kinds are the domain's own words: they count in full (a product
        # a question names, PRODUCT_WEIGHT).
        self.domain = frozenset(
            [*self.phrases.values(), *self.products]
            + [kind for kinds in self.products.values() for kind in kinds]
        )

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

    def _fold(self, words: list[str]) -> list[str]:
        """Phrases as one word, then aliases."""
        folded: list[str] = []
        index = 0
        while index < len(words):
            pair = index + 1 < len(words)
            token = self._phrase(words[index], words[index + 1]) if pair else None
            folded.append(token or self.aliases.get(words[index], words[index]))
            index += 2 if token else 1
        return folded

    def _places(self, words: list[str]) -> list[str]:
        """`in-<place>` for each place word followed, past fillers, by a place; a product that
        runs VMs is a VM ("inside a virtualized VMware Workstation" is inside a VM)."""
        found = []
        for index, word in enumerate(words):
            if word in PLACE_WORDS:
                after = (w for w in words[index + 1 :] if w not in PLACE_FILLERS)
                place = next(after, "")
                if place not in PLACES and VM_KINDS.intersection(self.products.get(place, ())):
                    place = "vm"
                if place in PLACES:
                    found.append(f"{PLACE_PREFIX}{place}")
        return found

    def tokens(self, text: str) -> tuple[Token, ...]:
        """Every token of `text` once, with its weight (the most its words gave it). The last
        texts asked are remembered: a question is read whole more than once per match."""
        return self._tokens(text)

    @lru_cache(maxsize=256)  # noqa: B019 - emptied when a matcher is replaced
    def _tokens(self, text: str) -> tuple[Token, ...]:
        words = self._fold(words_of(text))
        kinds = [*self._places(words)]
        for word in words:
            kinds.extend(self.products.get(word, ()))
        said = set(words)
        found: dict[str, Token] = {}
        for word in [*words, *kinds]:
            if word in self.read_past:
                continue
            if word in self.scope_words:
                stem = SCOPE_PREFIX + self.scope_words[word]
                found[stem] = Token(stem, 1.0)
                continue
            place = word.startswith(PLACE_PREFIX)
            made = word in self.domain or place  # by the vocabulary
            stem = word if place else _stemmer.stemWord(word)
            weight = 1.0 if made else rarity(word)
            if word in self.products and word in said:
                weight = PRODUCT_WEIGHT
            if stem not in found or found[stem].weight < weight:
                implied = word not in said and (stem not in found or found[stem].implied)
                found[stem] = Token(stem, weight, "" if made else word, implied)
        return tuple(found.values())

    def tokenize(self, text: str) -> list[str]:
        """The stems of `text` that say something (weight above 0), in order."""
        return [token.stem for token in self.tokens(text) if token.weight > 0]

    def asks_for_picture(self, text: str) -> bool:
        """True when the text asks for a diagram or picture ("draw the docker stack")."""
        return not self.picture.isdisjoint(words_of(text))
