"""The matcher answers domain questions, offers choices when unsure, and declines look-alikes."""

from __future__ import annotations

import pytest

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
    assert tokenize(text) == ["differ", "between", "vm", "contain"]  # a channel names no topic


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("what is a virtual machien", ["vm"]),  # a typo inside a two-word phrase
        ("docker in a VM", ["docker", "vm", "in-vm"]),  # not the same as "docker vs VM"
        ("containers vs virtual machines", ["contain", "vs", "vm"]),
        ("should we use a VM or docker?", ["choos", "vm", "docker"]),
        ("our apps boot quicker", ["app", "start", "fast"]),  # synonyms from the vocabulary
        ("my image is 2GB, it boots in 5mins", ["imag", "gigabyt", "start", "minut"]),
        ("deploy, deployed, deployment", ["deploy"]),  # one stem
        (
            "Linux containers on a Windows host",
            ["linux", "contain", "window", "host", "in-windows"],
        ),
        ("Windows containers on Linux", ["wcow", "linux", "in-linux"]),
        ("k8s on wsl2", ["kubernet", "wsl2", "in-wsl2", "orchestr", "wsl", "window", "linux"]),
        (
            "docker inside a virtualized VMware Workstation",
            ["docker", "insid", "virtual", "vmware", "workstat", "in-vm", "hypervisor", "vm"],
        ),
        ("the performance cost of docker", ["perform", "docker"]),
        ("lxd or docker? see https://docs.travis-ci.com/x", ["lxd", "docker", "lxc", "contain"]),
        (
            "EC2 vs Fargate cost",
            ["ec2", "vs", "fargat", "scope:cloud-billing", "vm", "cloud", "contain"],
        ),
    ],
)
def test_tokenize_folds_what_people_type(answers: Answers, text: str, tokens: list[str]) -> None:
    assert answers.matcher.normalizer.tokenize(text) == tokens


def test_framing_words_weigh_little_and_rare_words_in_full(answers: Answers) -> None:
    weights = {t.stem: t.weight for t in answers.matcher.normalizer.tokens("why is it regarded")}
    assert weights["regard"] < 0.6 and weights["whi"] < 0.1
    rare = {t.stem: t.weight for t in answers.matcher.normalizer.tokens("terraform hypervisor")}
    assert rare == {"terraform": 1.0, "hypervisor": 1.0}


def test_single_letters_and_words_without_their_apostrophe_frame_a_question(
    answers: Answers,
) -> None:
    weights = {t.word: t.weight for t in answers.matcher.normalizer.tokens("Q. i doesnt get it")}
    assert weights["q"] == weights["i"] == 0.0 and weights["doesnt"] < 0.1
    match = answers.match("Q. How does Docker differ from Virtual Machines?")
    assert match.band is Band.ANSWER and match.entry and match.entry.id == "vm-vs-docker"


def test_products_read_as_what_they_are(answers: Answers) -> None:
    stems = answers.matcher.normalizer.tokenize("is VirtualBox any good")
    assert {"virtualbox", "hypervisor", "vm"} <= set(stems)


def test_a_product_named_as_context_does_not_make_the_question_about_products(
    answers: Answers,
) -> None:
    running = answers.match("can i run docker inside a vmware workstation vm")
    assert running.entry and running.entry.id in {"containers-in-vms", "nested-virtualization"}
    # "proxmox" implies a hypervisor, which no key phrase "proxmox vm" says exactly
    assert answers.routes_to("what is proxmox") == "vm-products"


def test_a_real_english_word_is_not_a_typo_of_a_known_one(answers: Answers) -> None:
    assert answers.match("does a contianer have its own kernal").band is Band.ANSWER
    assert answers.match("party chrome intern").band is Band.NONE  # not "part", "come"


def test_a_rare_unknown_word_sinks_a_question_a_framing_word_does_not(answers: Answers) -> None:
    assert answers.match("why are container images comparatively small").band is Band.ANSWER
    assert answers.match("why are terraform images comparatively small").band is Band.NONE


def test_a_clear_lead_answers_below_the_answer_threshold(answers: Answers) -> None:
    """An issue title full of specifics scores low, but only one entry explains it at all."""
    match = answers.match(
        "exec format error from entrypoint.sh on my M4 when running an amd64 image"
    )
    assert match.band is Band.ANSWER and match.entry is not None
    assert match.entry.id == "cpu-architectures"
    assert match.score < answers.matcher.answer_threshold


def test_a_clear_lead_needs_two_topic_words_and_no_topic_next_door(answers: Answers) -> None:
    matcher = answers.matcher
    low = matcher.answer_threshold * 0.6
    assert matcher.band(low, 0.1 * low) is Band.ANSWER
    assert matcher.band(low, 0.6 * low) is Band.NONE  # the runner-up is close: not sure
    assert matcher.band(low, 0.1 * low, may_lead=False) is Band.NONE
    assert answers.match("kubernetes vs nomad").band is Band.NONE  # one topic word
    assert answers.match("aws vs gcp pricing").band is Band.NONE  # a topic next door


def test_direction_decides_between_entries(answers: Answers) -> None:
    inside = answers.match("can I run docker inside a vm")
    versus = answers.match("docker vs a vm")
    assert inside.entry is not None and inside.entry.id == "containers-in-vms"
    assert versus.entry is not None and versus.entry.id == "vm-vs-docker"


def test_long_messages_are_read_for_their_question(answers: Answers) -> None:
    story = (
        "I'm new to devops and I keep reading the docs and blog posts about our deployment "
        "setup, and honestly the jargon is overwhelming me this week. "
        "Why do containers start so much faster than virtual machines?"
    )
    match = answers.match(story)
    assert match.band is Band.ANSWER and match.entry is not None
    assert match.entry.id == "start-time"


def test_a_request_for_a_picture_answers_with_a_diagram(answers: Answers) -> None:
    reply = answers.reply_to("diagram of vm vs docker pls")
    assert reply.band is Band.ANSWER and reply.diagram is not None
    assert "picture" in reply.why


def test_a_topic_next_door_is_declined_with_its_docs(answers: Answers) -> None:
    reply = answers.reply_to("kubectl says my pod is in CrashLoopBackOff, how do I fix it")
    assert reply.band is Band.NONE
    assert "https://kubernetes.io/docs/tasks/" in reply.answer
    assert "virtual machines and containers" in reply.answer


def test_suggest_band_offers_ranked_did_you_mean_choices(answers: Answers) -> None:
    """Two entries explain a question about equally well: the bot offers both, best first,
    rather than guess."""
    match = answers.match("images?")  # image size, or image vs container?
    assert match.band is Band.SUGGEST
    candidates = [c for c in [match.best, *match.runner_ups] if c is not None]
    ids = [c.entry.id for c in candidates]
    assert set(ids[:2]) == {"image-size", "image-vs-container"}
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(score >= answers.matcher.suggest_threshold for score in scores)
    reply = compose_reply(match, answers.knowledge)
    assert reply.band is Band.SUGGEST
    assert [link.id for link in reply.suggestions] == ids


def test_between_the_thresholds_the_bot_suggests(answers: Answers) -> None:
    """A score between the suggest and the answer threshold is a "did you mean"."""
    matcher = Matcher(answers.knowledge, answer_threshold=99.9, suggest_threshold=40)
    match = matcher.match("which uses less ram containers or vms")
    assert match.band is Band.SUGGEST
    assert match.entry is not None and match.entry.id == "overhead-density"
    assert 40 <= match.score < 99.9


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01\x02", "x" * 40_000, "🐳" * 5000])
def test_odd_input_never_crashes(answers: Answers, question: str) -> None:
    match = answers.match(question)
    assert match.band in set(Band)
    assert len(match.question) <= MAX_QUESTION_CHARS
