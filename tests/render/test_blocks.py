"""Block Kit replies: every entry on every surface is valid for slack_sdk and within Slack's limits.

A message's comparison table travels in its `attachments`, never in its `blocks`; the harness's
`message_problems` checks both, tables against the schema Slack documents for them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.cli import main
from bot.core.answers import Answers
from bot.core.models import Band, ComparisonRow, Reply, TopicLink
from bot.render.actions import FEEDBACK, OPEN_TOPIC, SHARE, SHOW_DIAGRAM_IMAGE
from bot.render.answers import (
    Surface,
    render_attachments,
    render_blocks,
    render_comparison_table,
    render_fallback,
    split_text,
)
from bot.render.blocks import (
    ELLIPSIS,
    MAX_MESSAGE_MARKDOWN,
    MAX_SECTION_TEXT,
    clip,
    escape,
    mrkdwn_length,
)
from bot.render.markdown import to_mrkdwn
from tests.conftest import KNOWLEDGE
from tests.support import block_problems, message_problems
from tests.support.blocks_check import MAX_VIEW_BLOCKS

Json = dict[str, Any]
SURFACES: tuple[Surface, ...] = ("thread", "dm", "ephemeral", "home")
PINGS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam")


def all_problems(
    blocks: list[Json], surface: Surface, attachments: list[Json] | None = None
) -> list[str]:
    """The harness's checks (blocks, attachments, one table) plus the renderer's own promises."""
    if surface == "home":
        problems = block_problems(blocks, limit=MAX_VIEW_BLOCKS)
        if attachments:
            problems.append("attachments on the Home tab")
    else:
        problems = message_problems(blocks, attachments or [])
    if mrkdwn_length(blocks) > MAX_MESSAGE_MARKDOWN:
        problems.append(f"{mrkdwn_length(blocks)} characters of mrkdwn")
    for block in blocks:
        if block["type"] == "actions":
            ids = [element["action_id"] for element in block["elements"]]
            if len(ids) != len(set(ids)):
                problems.append(f"duplicate action ids {ids}")
        if block["type"] == "context":
            problems.extend(
                "context text > 2000" for e in block["elements"] if len(e.get("text", "")) > 2000
            )
    dumped = json.dumps([blocks, attachments])
    problems.extend(f"contains {ping}" for ping in PINGS if ping in dumped)
    return problems


def reply_problems(reply: Reply, surface: Surface, *, diagram_as_file: bool = False) -> list[str]:
    """Everything wrong with `reply` rendered as a message (blocks and attachments) on `surface`."""
    blocks = render_blocks(reply, surface=surface, diagram_as_file=diagram_as_file)
    return all_problems(blocks, surface, render_attachments(reply, surface=surface))


def cell_text(cell: Json) -> str:
    return "".join(element["text"] for element in cell["elements"][0]["elements"])


def action_ids(blocks: list[Json]) -> list[str]:
    return [
        element["action_id"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


# --- every entry, every surface ---------------------------------------------


def test_every_entry_renders_valid_blocks_on_every_surface(answers: Answers) -> None:
    checked = 0
    for entry_id in answers.knowledge.entries:
        reply = answers.reply_for_entry(entry_id)
        assert reply is not None
        for surface in SURFACES:
            for diagram_as_file in (False, True):
                problems = reply_problems(reply, surface, diagram_as_file=diagram_as_file)
                assert not problems, f"{entry_id} on {surface}: {problems}"
                checked += 1
        fallback = render_fallback(reply)
        assert reply.title and reply.title in fallback
        assert len(fallback) <= 3000
        if reply.diagram:  # notifications and screen readers get its alt text, not a drawing
            assert reply.diagram.alt in fallback and "┌" not in fallback
    assert checked == len(answers.knowledge.entries) * len(SURFACES) * 2


def test_every_example_question_renders_valid_blocks(answers: Answers) -> None:
    for entry in answers.knowledge.entries.values():
        for question in entry.questions[:2]:
            reply = answers.reply_to(question)
            for ephemeral in (False, True):
                blocks = render_blocks(reply, ephemeral=ephemeral)
                attachments = render_attachments(reply, ephemeral=ephemeral)
                surface: Surface = "ephemeral" if ephemeral else "thread"
                assert not all_problems(blocks, surface, attachments), question


def test_answer_card_layout(answers: Answers) -> None:
    reply = answers.reply_to("what is the difference between a vm and docker")
    assert reply.band is Band.ANSWER and reply.comparison and reply.diagram
    blocks = render_blocks(reply)
    kinds = [block["type"] for block in blocks]
    assert kinds[0] == "header"
    assert kinds[1] == "section"
    assert "table" not in kinds  # the table travels in the attachments
    [attachment] = render_attachments(reply)
    [table] = attachment["blocks"]
    assert table["type"] == "table"
    assert len(table["rows"]) == len(reply.comparison) + 1
    header = [cell_text(cell) for cell in table["rows"][0]]
    assert header[1:] == ["Virtual machine", "Container"]
    first = reply.comparison[0]
    assert [cell_text(cell) for cell in table["rows"][1]] == [
        first.aspect,
        first.vm,
        first.container,
    ]
    diagram = next(block for block in blocks if "```" in block.get("text", {}).get("text", ""))
    assert "┌" in diagram["text"]["text"]
    context = next(block for block in blocks if block["type"] == "context")
    assert "confidence" in context["elements"][0]["text"]
    ids = action_ids(blocks)
    [feedback] = [block for block in blocks if block["type"] == "context_actions"]
    [buttons] = feedback["elements"]
    assert buttons["type"] == "feedback_buttons" and buttons["action_id"] == FEEDBACK
    assert buttons["positive_button"]["value"] == f"up:{reply.entry_id}"
    assert buttons["negative_button"]["value"] == f"down:{reply.entry_id}"
    assert any(action.startswith(f"{OPEN_TOPIC}:") for action in ids)
    assert SHARE not in ids and not any(a.startswith(SHOW_DIAGRAM_IMAGE) for a in ids)


def test_ephemeral_reply_offers_share_and_show_as_image(answers: Answers) -> None:
    reply = answers.reply_to("vm vs docker")
    assert reply.diagram is not None
    ids = action_ids(render_blocks(reply, ephemeral=True))
    assert SHARE in ids
    assert f"{SHOW_DIAGRAM_IMAGE}:{reply.diagram.id}" in ids
    # Same through the surface name; ephemeral messages carry no uploads: the drawing stays.
    blocks = render_blocks(reply, surface="ephemeral", diagram_as_file=True)
    assert SHARE in action_ids(blocks)
    assert any("```" in block.get("text", {}).get("text", "") for block in blocks)


def _has_drawing(blocks: list[Json]) -> bool:
    return any("```" in block.get("text", {}).get("text", "") for block in blocks)


def test_a_diagram_shared_as_a_file_is_left_out_of_the_card(answers: Answers) -> None:
    reply = answers.reply_to("vm vs docker")
    assert reply.diagram is not None
    for surface in ("thread", "dm"):
        assert _has_drawing(render_blocks(reply, surface=surface))
        blocks = render_blocks(reply, surface=surface, diagram_as_file=True)
        assert not _has_drawing(blocks)
        assert not any(block["type"] == "image" for block in blocks)  # the file share shows it


def test_the_table_travels_alone_in_the_attachments(answers: Answers) -> None:
    reply = answers.reply_to("vm vs docker")
    for surface in ("thread", "dm", "ephemeral"):
        attachments = render_attachments(reply, surface=surface)
        assert attachments == [{"blocks": [render_comparison_table(reply.comparison)]}]
        assert not any(block["type"] == "table" for block in render_blocks(reply, surface=surface))
    assert render_attachments(reply, ephemeral=True) == render_attachments(reply)
    assert render_attachments(answers.reply_to("what is blorf exactly")) == []


def test_home_surface_uses_fields_instead_of_a_table(answers: Answers) -> None:
    reply = answers.reply_to("vm vs docker")
    blocks = render_blocks(reply, surface="home")
    assert not any(block["type"] == "table" for block in blocks)
    assert render_attachments(reply, surface="home") == []  # a view has no attachments
    fields = [block for block in blocks if "fields" in block]
    assert len(fields) == min(len(reply.comparison), 10)
    assert SHARE not in action_ids(blocks)


# --- suggestions, declines and what users type -------------------------------


HOSTILE = "<!channel> <!here|here> <!everyone> & <@U123> *bold* what is blorf?"


def test_hostile_questions_render_safely(answers: Answers) -> None:
    for question in (HOSTILE, "<!here> vm vs docker", "<!channel> containers something"):
        reply = answers.reply_to(question)
        for surface in SURFACES:
            assert not reply_problems(reply, surface), question
        assert not any(ping in render_fallback(reply) for ping in PINGS)


def test_a_declined_question_is_quoted_back_escaped() -> None:
    reply = Reply(band=Band.NONE, question=HOSTILE, answer="I'm not sure about that one.")
    blocks = render_blocks(reply)
    assert not all_problems(blocks, "thread")
    context = next(b for b in blocks if b["type"] == "context")
    text = context["elements"][0]["text"]
    assert text.startswith("You asked: “&lt;!channel&gt; &lt;!here|here&gt;")
    assert "&amp; &lt;@U123&gt;" in text


def test_suggestions_become_topic_buttons() -> None:
    reply = Reply(
        band=Band.SUGGEST,
        question="containers thing",
        answer="Did you mean one of these?",
        suggestions=[
            TopicLink(id="image-size", title="Image size"),
            TopicLink(id="start-time", title="Start time"),
            TopicLink(id="image-size", title="Image size"),
        ],
        why="Closest phrase: “container image” (60/100, low confidence)",
    )
    blocks = render_blocks(reply)
    assert action_ids(blocks) == [f"{OPEN_TOPIC}:image-size", f"{OPEN_TOPIC}:start-time"]
    assert not all_problems(blocks, "thread")


def test_hostile_knowledge_text_cannot_ping_either() -> None:
    reply = Reply(
        band=Band.ANSWER,
        question="q",
        entry_id="x",
        title="<!channel> title",
        answer="Hello <!here> and <!everyone>.",
        comparison=[ComparisonRow(aspect="<!channel>", vm="<!here>", container="<!everyone|x>")],
        related=[TopicLink(id="y", title="<!channel> related")],
    )
    for surface in SURFACES:
        assert not reply_problems(reply, surface)


# --- limits -------------------------------------------------------------------


def long_reply(words: int = 4000, rows: int = 150) -> Reply:
    text = " ".join(f"word{n}" for n in range(words))
    return Reply(
        band=Band.ANSWER,
        question="q",
        entry_id="long",
        title="T" * 400,
        answer=f"{text}\n\n{text}",
        comparison=[
            ComparisonRow(aspect=f"Aspect {n}", vm="v" * 900, container="c") for n in range(rows)
        ],
        related=[TopicLink(id=f"r{n}", title="A related topic " * 10) for n in range(9)],
        why="w" * 3000,
    )


def test_a_huge_reply_stays_within_every_limit() -> None:
    reply = long_reply()
    for surface in SURFACES:
        assert not reply_problems(reply, surface), surface
    blocks = render_blocks(reply)
    [[table]] = [attachment["blocks"] for attachment in render_attachments(reply)]
    assert len(table["rows"]) == 100
    assert len(blocks[0]["text"]["text"]) == 150 and blocks[0]["text"]["text"].endswith(ELLIPSIS)
    sections = [b for b in blocks if b["type"] == "section" and "```" not in b["text"]["text"]]
    assert len(sections) >= 2
    assert all(len(s["text"]["text"]) <= MAX_SECTION_TEXT for s in sections)


def test_long_text_splits_at_word_boundaries_with_an_ellipsis_where_cut() -> None:
    words = [f"w{n:05d}" for n in range(2000)]
    chunks = split_text(" ".join(words), 3000)
    assert len(chunks) == 5
    assert all(len(chunk) <= 3000 for chunk in chunks)
    assert all(chunk.endswith(ELLIPSIS) for chunk in chunks[:-1])
    assert all(chunk.startswith(ELLIPSIS) for chunk in chunks[1:])
    rejoined = [word for chunk in chunks for word in chunk.strip(ELLIPSIS).split()]
    assert rejoined == words  # nothing lost, no word cut in two


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    chunks = split_text("a" * 2000 + "\n\n" + "b" * 2000, 3000)
    assert chunks == ["a" * 2000, "b" * 2000]


def test_clip_and_escape() -> None:
    assert clip("short", 10) == "short"
    assert clip("one two three four", 12) == "one two…"
    assert len(clip("x" * 100, 75)) == 75
    assert escape("<!here> & <b>") == "&lt;!here&gt; &amp; &lt;b&gt;"


def test_markdown_becomes_mrkdwn() -> None:
    text = to_mrkdwn(
        "A **VM** has a\nkernel, see [docs](https://example.com/a?b=1&c=2).\n\n"
        "- one\n  more\n- two *maybe*"
    )
    assert text == (
        "A *VM* has a kernel, see <https://example.com/a?b=1&amp;c=2|docs>.\n\n"
        "- one more\n- two _maybe_"
    )


def test_cli_ask_blocks_prints_block_kit_builder_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--knowledge", str(KNOWLEDGE), "ask", "--blocks", "vm vs docker"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert list(payload) == ["blocks", "attachments"]  # a message as Block Kit Builder takes it
    assert payload["blocks"][0]["type"] == "header"
    assert [block["type"] for a in payload["attachments"] for block in a["blocks"]] == ["table"]
    assert not all_problems(payload["blocks"], "thread", payload["attachments"])
