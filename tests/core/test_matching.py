"""The matcher answers domain questions, offers choices when unsure, and declines look-alikes."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.core.answers import Answers, compose_reply
from bot.core.matching import Matcher
from bot.core.models import Band
from bot.core.text import MAX_QUESTION_CHARS

# Questions that share words or shape with the domain but are not about it.
OFF_TOPIC = [
    "git rebase vs merge",
    "tabs vs spaces",
    "link for the virtual all-hands",
    "my docking station is broken",
    "hi",
    "hello there!",
    "thanks!",
    "thank you so much",
    "good morning team",
    "react vs angular",
    "vim vs emacs",
    "python vs java",
    "mac vs pc for design work",
    "kernel of corn",
    "how do I pop popcorn kernels",
    "virtual meeting link please",
    "is the virtual offsite on friday",
    "where is the dock for the boats",
    "shipping container prices",
    "how do I book a meeting room",
    "what's for lunch today",
    "who is on call this week",
    "can you reset my password",
    "lol",
    "ok",
    "👍",
    "how do I expense a taxi",
    "postgres vs mysql",
    "rest vs graphql",
    "spaces or tabs in yaml",
    "which is better, coffee or tea",
    "when is the next payday",
    "the printer on floor 3 is jammed",
    "what's the wifi password",
    "monolith vs microservices",
    "aws vs gcp pricing",
    "merge conflict help",
    "how to center a div",
    "what time is standup",
    "happy birthday!",
    "is the office open on saturday",
    "kubernetes ingress nginx annotation syntax",
]

ON_TOPIC = [
    ("vm vs docker", "vm-vs-docker"),
    ("whats the diff btw vms and containers?", "vm-vs-docker"),
    ("<@U0123ABC> what is a virtual machine :thinking_face:", "what-is-a-vm"),
    ("what's a kernel", "os-layers"),
    ("does a contianer have its own kernal", "what-docker-virtualizes"),
    ("why do containers boot faster than VMs", "start-time"),
    ("how big are docker images", "image-size"),
]


def test_at_least_forty_off_topic_cases() -> None:
    assert len(OFF_TOPIC) >= 40


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_declines_look_alikes(answers: Answers, question: str) -> None:
    match = answers.match(question)
    assert match.band is Band.NONE, (match.entry.id if match.entry else None, match.score)


@pytest.mark.parametrize(("question", "entry_id"), ON_TOPIC)
def test_answers_domain_questions(answers: Answers, question: str, entry_id: str) -> None:
    match = answers.match(question)
    assert match.band is Band.ANSWER
    assert match.entry is not None and match.entry.id == entry_id
    assert 0 <= match.score <= 100
    assert len(match.runner_ups) <= 3


def test_normalizes_slack_markup_and_abbreviations(answers: Answers) -> None:
    tokenize = answers.matcher.normalizer.tokenize
    text = "<@U1> <#C1|general> diff btw VMs & <https://x.io|Containers> :whale: <!channel>"
    assert tokenize(text) == ["general", "difference", "vm", "container"]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("what is a virtual machien", ["vm"]),  # a typo inside a two-word phrase
        ("docker in a VM", ["docker", "inside", "vm"]),  # not the same as "docker vs VM"
        ("containers vs virtual machines", ["container", "vm"]),
        ("should we use a VM or docker?", ["choose", "vm", "docker"]),
        ("how worried should we be about escapes", ["escape"]),
        ("Windows containers on Windows", ["wcow", "windows"]),
        ("hey team, sorry for the dumb question: what does docker do", ["docker"]),
        ("our apps boot quicker", ["app", "start", "fast"]),
        ("my image is 2GB, it boots in 5mins", ["image", "2", "gigabyte", "start", "5", "minute"]),
        ("k8s on wsl2", ["kubernete", "wsl2"]),  # letters then digits stay one word
    ],
)
def test_tokenize_folds_what_people_type(answers: Answers, text: str, tokens: list[str]) -> None:
    assert answers.matcher.normalizer.tokenize(text) == tokens


def test_suggest_band_offers_ranked_did_you_mean_choices(answers: Answers) -> None:
    """Between the two thresholds the matcher offers choices, best first, none below the floor."""
    matcher = Matcher(answers.knowledge, answer_threshold=95, suggest_threshold=50)
    match = matcher.match("images?")  # image size, or image vs container?
    assert match.band is Band.SUGGEST
    candidates = [c for c in [match.best, *match.runner_ups] if c is not None]
    ids = [c.entry.id for c in candidates]
    assert set(ids[:2]) == {"image-size", "image-vs-container"}
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(50 <= score < 95 for score in scores)
    reply = compose_reply(match, answers.knowledge)
    assert reply.band is Band.SUGGEST
    assert [link.id for link in reply.suggestions] == ids


def test_default_thresholds_suggest_when_only_partly_sure(
    answers: Answers, settings: Settings
) -> None:
    match = answers.match("guest os for docker")
    assert match.band is Band.SUGGEST
    assert match.entry is not None and match.entry.id == "guest-vs-host-os"
    assert settings.match_suggest_threshold <= match.score < settings.match_answer_threshold


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01\x02", "x" * 40_000, "🐳" * 5000])
def test_odd_input_never_crashes(answers: Answers, question: str) -> None:
    match = answers.match(question)
    assert match.band in set(Band)
    assert len(match.question) <= MAX_QUESTION_CHARS
