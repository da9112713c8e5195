"""Turn text typed in Slack into canonical tokens, the same way for questions and entries."""

from __future__ import annotations

import html
import re
from collections import defaultdict

from rapidfuzz import fuzz

MAX_QUESTION_CHARS = 300

_SLACK_USER = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_LABELLED = re.compile(r"<[#!]?[^|<>]*\|([^<>]*)>")  # <#C1|name>, <http://x|label>
_SLACK_BARE = re.compile(r"<[^<>]*>")  # <http://x>, <!channel>, <#C1>
_EMOJI = re.compile(r":[a-z0-9_+\-']+:")
_NON_WORD = re.compile(r"[^a-z0-9]+")

# Words that carry no topic: greetings, question shape, pronouns, filler.
STOPWORDS = frozenset(
    """
    a about actual actually all also am an and any anyone are as at basically be been being
    best better between but by can could define defined definition did do does doing dont dr
    eli eli5 else even ever exactly explain explained fewer five for from get gets getting
    give go going got guys had has have hello help hey hi hii how i if im in into is isnt it
    its just kind know less let lets like literally lot lots make many makes me mean meaning
    means meant more most much multiple my need of oh ok okay on one or other our over pls
    please plz project quick quickly really say says sense setup several should simple simply
    so some someone something sort stand stands still su tell than that thats the their them
    then there these they thing things this those tl tldr to too top u um under understand up us
    vs wait want was wat way we were what whats wht where whether which while who why will
    with would wut ya yeah yes yo you your
    """.split()
)

# Abbreviations and spellings people write, mapped to one canonical token each.
ALIASES = {
    "vms": "vm",
    "virtualmachine": "vm",
    "virtualmachines": "vm",
    "v": "vs",
    "versus": "vs",
    "diff": "difference",
    "diffs": "difference",
    "differ": "difference",
    "differs": "difference",
    "different": "difference",
    "differences": "difference",
    "btw": "between",
    "betwen": "between",
    "containers": "container",
    "containerized": "container",
    "containerised": "container",
    "ctr": "container",
    "dockers": "docker",
    "k8s": "kubernetes",
    "os": "os",
    "oses": "os",
    "mb": "megabyte",
    "mbs": "megabyte",
    "megabytes": "megabyte",
    "gb": "gigabyte",
    "gbs": "gigabyte",
    "gigabytes": "gigabyte",
    "secs": "second",
    "sec": "second",
    "seconds": "second",
    "mins": "minute",
    "min": "minute",
    "minutes": "minute",
    "macos": "mac",
    "osx": "mac",
    "macbook": "mac",
    "win": "windows",
    "hyperv": "hyperv",
    "startup": "start",
    "boot": "start",
    "boots": "start",
    "booting": "start",
    "starting": "start",
    "starts": "start",
    "startups": "start",
    "vmware": "vm",
    "gig": "gigabyte",
    "gigs": "gigabyte",
    "meg": "megabyte",
    "megs": "megabyte",
    "faster": "fast",
    "quicker": "fast",
    "speedy": "fast",
    "heavier": "heavy",
    "light": "lightweight",
    "lighter": "lightweight",
    "smaller": "small",
    "tiny": "small",
    "bigger": "big",
    "large": "big",
    "larger": "big",
    "huge": "big",
    "isolate": "isolation",
    "isolates": "isolation",
    "isolated": "isolation",
    "isolating": "isolation",
    "secure": "security",
    "securely": "security",
    "safe": "security",
    "safer": "security",
    "escapes": "escape",
    "escaping": "escape",
    "breakout": "escape",
    "choice": "choose",
    "choosing": "choose",
    "pick": "choose",
    "picking": "choose",
    "decide": "choose",
    "deciding": "choose",
    "decision": "choose",
    "virtualise": "virtualize",
    "virtualises": "virtualize",
    "virtualised": "virtualize",
    "virtualizes": "virtualize",
    "virtualized": "virtualize",
    "virtualization": "virtualize",
    "virtualisation": "virtualize",
    "whole": "complete",
    "entire": "complete",
    "full": "complete",
    "ram": "memory",
    "uses": "use",
    "using": "use",
    "used": "use",
    "usage": "use",
    "compare": "difference",
    "compared": "difference",
    "comparing": "difference",
    "comparison": "difference",
    "same": "difference",
    "similar": "difference",
    "processes": "process",
    "runs": "run",
    "running": "run",
    "ran": "run",
    "within": "inside",
}

# Two-word phrases folded into one token before the single-word aliases apply.
PHRASES = {
    ("virtual", "machine"): "vm",
    ("virtual", "machines"): "vm",
    ("operating", "system"): "os",
    ("operating", "systems"): "os",
    ("hyper", "v"): "hyperv",
    ("start", "up"): "start",
    ("boot", "up"): "start",
    ("spin", "up"): "start",
    ("docker", "desktop"): "dockerdesktop",
    ("break", "out"): "escape",
    ("wsl", "2"): "wsl2",
    ("should", "i"): "choose",
    ("should", "we"): "choose",
    ("windows", "container"): "wcow",  # "Windows containers on Windows"; a token that does
    ("windows", "containers"): "wcow",  # not look like "windows" + "container" to rapidfuzz
}
UNSTEMMED = frozenset({"windows"})  # the OS, not the plural of "window"
PHRASE_TYPO_CUTOFF = 80  # "virtual machien" still folds: the second word may be misspelt
PHRASE_TYPO_MIN_LENGTH = 5
_PHRASES_BY_FIRST: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
for (_first, _second), _token in PHRASES.items():
    _PHRASES_BY_FIRST[_first].append((_second, _token))

# "docker in a VM", "containers on VMs": a place word before "vm" becomes the token "inside",
# so running containers inside VMs is not mistaken for comparing the two.
PLACE_WORDS = frozenset({"in", "inside", "within", "on", "into"})
PLACE_FILLERS = frozenset({"a", "an", "the", "my", "our", "your", "their", "top", "of"})


def strip_slack_markup(text: str) -> str:
    """Remove mentions, links, broadcasts and emoji codes; keep the labels people read."""
    text = _SLACK_USER.sub(" ", text)
    text = _SLACK_LABELLED.sub(r" \1 ", text)
    text = _SLACK_BARE.sub(" ", text)
    return html.unescape(text)


def _stem(token: str) -> str:
    token = ALIASES.get(token, token)
    if token in UNSTEMMED:
        return token
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        token = ALIASES.get(token[:-1], token[:-1])
    return token


def _phrase(first: str, second: str) -> str | None:
    """The token a two-word phrase folds into, tolerating a typo in the second word."""
    exact = PHRASES.get((first, second))
    if exact is not None or len(second) < PHRASE_TYPO_MIN_LENGTH:
        return exact
    for known, token in _PHRASES_BY_FIRST.get(first, []):
        if len(known) >= PHRASE_TYPO_MIN_LENGTH and fuzz.ratio(second, known) >= PHRASE_TYPO_CUTOFF:
            return token
    return None


def _fold_phrases(words: list[str]) -> list[str]:
    folded: list[str] = []
    index = 0
    while index < len(words):
        token = _phrase(words[index], words[index + 1]) if index + 1 < len(words) else None
        folded.append(token or words[index])
        index += 2 if token else 1
    return folded


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


def tokenize(text: str) -> list[str]:
    """Canonical content tokens of `text`: lower case, no markup, no stopwords, aliases folded."""
    text = strip_slack_markup(text[: MAX_QUESTION_CHARS * 4]).casefold()
    text = _EMOJI.sub(" ", text).replace("'", "")
    words = _NON_WORD.sub(" ", text).split()[: MAX_QUESTION_CHARS // 3]
    folded = _fold_phrases(words)
    tokens = _mark_inside([word if word in STOPWORDS else _stem(word) for word in folded])
    return [token for token in tokens if token not in STOPWORDS]
