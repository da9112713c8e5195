"""Turn text typed in Slack into canonical tokens, the same way for questions and entries."""

from __future__ import annotations

import html
import re

MAX_QUESTION_CHARS = 300

_SLACK_USER = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_LABELLED = re.compile(r"<[#!]?[^|<>]*\|([^<>]*)>")  # <#C1|name>, <http://x|label>
_SLACK_BARE = re.compile(r"<[^<>]*>")  # <http://x>, <!channel>, <#C1>
_EMOJI = re.compile(r":[a-z0-9_+\-']+:")
_NON_WORD = re.compile(r"[^a-z0-9]+")

# Words that carry no topic: greetings, question shape, pronouns, filler.
STOPWORDS = frozenset(
    """
    a about actually all also am an and any anyone are as at be been being between but by can
    could did do does doing dont else even ever exactly explain for from get gets getting
    give go going got guys had has have hello help hey hi hii how i if im in into is isnt
    it its just kind know let lets like me mean means more most much my need of oh ok okay
    on one or other our pls please plz quick quickly really say says should simple simply
    so some someone something sort still su tell than that thats the their them then there
    these they thing things this those to too u um understand up us vs wait want was way
    we were what whats when where whether which while who why will with would ya yeah yes
    yo you your
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
}


def strip_slack_markup(text: str) -> str:
    """Remove mentions, links, broadcasts and emoji codes; keep the labels people read."""
    text = _SLACK_USER.sub(" ", text)
    text = _SLACK_LABELLED.sub(r" \1 ", text)
    text = _SLACK_BARE.sub(" ", text)
    return html.unescape(text)


def _stem(token: str) -> str:
    token = ALIASES.get(token, token)
    if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
        token = ALIASES.get(token[:-1], token[:-1])
    return token


def tokenize(text: str) -> list[str]:
    """Canonical content tokens of `text`: lower case, no markup, no stopwords, aliases folded."""
    text = strip_slack_markup(text[: MAX_QUESTION_CHARS * 4]).casefold()
    text = _EMOJI.sub(" ", text).replace("'", "")
    words = _NON_WORD.sub(" ", text).split()[: MAX_QUESTION_CHARS // 3]
    folded: list[str] = []
    index = 0
    while index < len(words):
        pair = (words[index], words[index + 1] if index + 1 < len(words) else "")
        if pair in PHRASES:
            folded.append(PHRASES[pair])
            index += 2
            continue
        folded.append(words[index])
        index += 1
    tokens = [_stem(word) for word in folded]
    return [token for token in tokens if token not in STOPWORDS]
