"""The app's own screens, built from the knowledge: usage, the topic list, the full comparison,
diagrams, the Home tab, shared copies, and the short notes a click gets. Pure functions.
"""

from __future__ import annotations

from typing import Any

from bot.core.answers import entry_reply
from bot.core.models import Band, DiagramSpec, KnowledgeBase, ParsedCommand, Reply, Subcommand
from bot.render.actions import OPEN_TOPIC, SHARE, SHARE_COMPARISON, SHARE_DIAGRAM
from bot.render.answers import answer_message, render_diagram_text_block
from bot.render.blocks import (
    MAX_ALT_TEXT,
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_CONTEXT_TEXT,
    MAX_FALLBACK_TEXT,
    MAX_HEADER_TEXT,
    Block,
    BlockMessage,
    button,
    clip,
    clip_escaped,
    escape,
    header,
    plain_text,
    section,
)

BUTTONS_PER_ROW = 5  # per actions block: short rows read well on a phone

USAGE = (
    "*Ask me about virtual machines and Docker containers.*\n"
    "• Mention me in a channel: `@vmdocker how is a container different from a VM?` "
    "(I answer in a thread)\n"
    "• Send me a direct message with your question\n"
    "• `/vmdocker <question>`: an answer only you see, with a button to share it\n"
    "• `/vmdocker topics`: everything I know, as buttons\n"
    "• `/vmdocker compare`: VMs and containers side by side\n"
    "• `/vmdocker diagram [name]`: a picture of the layers\n"
    "• `/vmdocker tour`: the basics step by step; `/vmdocker quiz`: test what you know\n"
    "• `/vmdocker help`: this message"
)
ABOUT = (
    "I explain how *virtual machines* and *Docker containers* differ: what each one "
    "virtualizes, image sizes, start times, hypervisors, isolation and more, from a knowledge "
    "base curated by people who run both."
)


def _topic_rows(knowledge: KnowledgeBase) -> list[Block]:
    """All topics as rows of "open topic" buttons."""
    entries = sorted(knowledge.entries.values(), key=lambda entry: entry.title.casefold())
    return [
        {
            "type": "actions",
            "elements": [
                button(entry.title, f"{OPEN_TOPIC}:{entry.id}", entry.id) for entry in row
            ],
        }
        for row in (
            entries[start : start + BUTTONS_PER_ROW]
            for start in range(0, len(entries), BUTTONS_PER_ROW)
        )
    ]


def _with_share(blocks: list[Block], value: str) -> list[Block]:
    share = {"type": "actions", "elements": [button("Share in channel", SHARE, value, "primary")]}
    return [*blocks[: MAX_BLOCKS - 1], share]


def diagram_text_message(spec: DiagramSpec) -> BlockMessage:
    """The diagram drawn as text, its alt text underneath: what follows an answer card in its
    thread when the diagram's PNG could not be uploaded, so the answer keeps its picture."""
    alt = clip_escaped(spec.alt, MAX_CONTEXT_TEXT)
    return BlockMessage(
        text=clip_escaped(f"{spec.title}: {spec.alt}", MAX_FALLBACK_TEXT),
        blocks=[
            render_diagram_text_block(spec),
            {"type": "context", "elements": [{"type": "mrkdwn", "text": alt}]},
        ],
    )


def diagram_file_message(spec: DiagramSpec, file_id: str) -> BlockMessage:
    """The diagram's PNG, already uploaded to the workspace as `file_id`, in an image block:
    what shows the picture again after its first upload, instead of uploading it again."""
    return BlockMessage(
        text=clip_escaped(f"{spec.title}: {spec.alt}", MAX_FALLBACK_TEXT),
        blocks=[
            {
                "type": "image",
                "slack_file": {"id": file_id},
                "alt_text": clip(spec.alt, MAX_ALT_TEXT),
                "title": plain_text(spec.title, MAX_HEADER_TEXT),
            }
        ],
    )


def unknown_topic_message(knowledge: KnowledgeBase) -> BlockMessage:
    """For a button naming a topic that left the knowledge base: the topics there are now."""
    lead = "I don't know that topic any more. Here is everything I do know:"
    topics = topics_message(knowledge)
    return BlockMessage(
        text=f"{lead} {topics.text}"[:3000],
        blocks=[section(lead), *topics.blocks[1:]],
    )


def topic_message(
    knowledge: KnowledgeBase, entry_id: str, *, ephemeral: bool = False
) -> BlockMessage:
    """The answer card of one topic, picked from a button."""
    entry = knowledge.entries.get(entry_id)
    if entry is None:
        return unknown_topic_message(knowledge)
    return answer_message(entry_reply(entry, knowledge), ephemeral=ephemeral)


# --- the app's own screens --------------------------------------------------


def usage_message() -> BlockMessage:
    return BlockMessage(text=USAGE.replace("*", ""), blocks=[section(USAGE)])


def topics_message(knowledge: KnowledgeBase) -> BlockMessage:
    """Every topic as a button; a click opens its answer card."""
    intro = f"*{len(knowledge.entries)} topics I can explain.* Pick one:"
    return BlockMessage(
        text=f"{len(knowledge.entries)} topics I can explain: "
        + ", ".join(sorted(entry.title for entry in knowledge.entries.values()))[:2900],
        blocks=[section(intro), *_topic_rows(knowledge)][:MAX_BLOCKS],
    )


def comparison_reply(knowledge: KnowledgeBase) -> Reply:
    return Reply(
        band=Band.ANSWER,
        question="compare",
        title="Virtual machines vs containers, side by side",
        answer="The whole comparison, aspect by aspect.",
        comparison=list(knowledge.matrix),
    )


def comparison_message(knowledge: KnowledgeBase, *, ephemeral: bool = False) -> BlockMessage:
    """The full comparison matrix."""
    message = answer_message(comparison_reply(knowledge))
    if not ephemeral:
        return message
    return message.model_copy(update={"blocks": _with_share(message.blocks, SHARE_COMPARISON)})


def diagram_list_message(knowledge: KnowledgeBase, unknown: str = "") -> BlockMessage:
    """The diagram names, for `/vmdocker diagram` with no name or one that does not exist."""
    names = "\n".join(
        f"• `{spec.id}`: {escape(spec.title)}" for spec in knowledge.diagrams.values()
    )
    lead = (
        f"I have no diagram called `{escape(clip(unknown, 60))}`. "
        if unknown
        else "Which diagram? "
    )
    text = f"{lead}Try `/vmdocker diagram <name>` with one of these:\n{names}"
    return BlockMessage(text=text.replace("`", ""), blocks=[section(text)])


def diagram_message(
    knowledge: KnowledgeBase, name: str, *, ephemeral: bool = False
) -> BlockMessage:
    """One diagram, drawn as text; the list of names when `name` is empty or unknown."""
    spec = knowledge.diagrams.get(name.strip().casefold())
    if spec is None:
        return diagram_list_message(knowledge, unknown=name.strip())
    reply = Reply(
        band=Band.ANSWER,
        question=name,
        title=spec.title,
        answer=spec.caption or spec.alt,
        diagram=spec,
    )
    message = answer_message(reply)
    if not ephemeral:
        return message
    blocks = _with_share(message.blocks, SHARE_DIAGRAM + spec.id)
    return message.model_copy(update={"blocks": blocks})


def shared_message(knowledge: KnowledgeBase, value: str, user_id: str) -> BlockMessage | None:
    """The public copy of an ephemeral answer a person chose to share, or None if it is gone."""
    if value == SHARE_COMPARISON:
        message = comparison_message(knowledge)
    elif value.startswith(SHARE_DIAGRAM) and value[len(SHARE_DIAGRAM) :] in knowledge.diagrams:
        message = diagram_message(knowledge, value[len(SHARE_DIAGRAM) :])
    elif value in knowledge.entries:
        message = topic_message(knowledge, value)
    else:
        return None
    credit = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"Shared by <@{user_id}>"}],
    }
    return message.model_copy(update={"blocks": [*message.blocks[: MAX_BLOCKS - 1], credit]})


def image_failed_message() -> BlockMessage:
    text = (
        "I couldn't post the picture here. If this is a channel, invite me with "
        "`/invite @vmdocker` and try again; the text drawing above shows the same layers."
    )
    return BlockMessage(text=text.replace("`", ""), blocks=[section(text)])


def lost_command_message(command: str, text: str) -> BlockMessage:
    """The apology for a slash command that waited too long (a restart) to be answered in place."""
    asked = clip_escaped(f"{command} {text}".strip(), 200)
    message = (
        f"Sorry, I could not answer `{asked}` in time: I was restarting when it arrived. "
        "Please ask again."
    )
    return BlockMessage(text=message.replace("`", ""), blocks=[section(message)])


def thanks_message(vote: int) -> BlockMessage:
    text = (
        "Thanks! Glad it helped."
        if vote > 0
        else "Thanks for telling me. The people who curate my answers will look at this one."
    )
    return BlockMessage(text=text, blocks=[section(text)])


def home_view(knowledge: KnowledgeBase) -> dict[str, Any]:
    """The Home tab: what the bot does, how to ask, and every topic as a button."""
    blocks: list[Block] = [
        header("VMs vs Docker, explained"),
        section(ABOUT),
        {"type": "divider"},
        section(USAGE),
        {"type": "divider"},
        header("Topics"),
        *_topic_rows(knowledge),
    ]
    return {"type": "home", "blocks": blocks[:100]}


def command_screen(knowledge: KnowledgeBase, command: ParsedCommand) -> BlockMessage:
    """What `/vmdocker` shows for every subcommand but ASK, TOUR and QUIZ (those need the core
    and the person's progress): the topics, the comparison, a diagram, or the usage."""
    match command.subcommand:
        case Subcommand.TOPICS:
            return topics_message(knowledge)
        case Subcommand.COMPARE:
            return comparison_message(knowledge, ephemeral=True)
        case Subcommand.DIAGRAM:
            return diagram_message(knowledge, command.argument, ephemeral=True)
        case _:
            return usage_message()


MAX_SUGGESTED_PROMPTS = 4  # Slack shows at most four
PROMPTS_TITLE = "Ask me how VMs and containers differ"


def suggested_prompts(knowledge: KnowledgeBase) -> list[dict[str, str]]:
    """The Messages tab's suggested prompts: the first tour topics, each as its first example
    question, then "Quiz me" (a DM saying `quiz` starts the quiz)."""
    steps = knowledge.tour.steps if knowledge.tour else []
    entries = [knowledge.entries[step.entry] for step in steps]
    if not entries:
        entries = sorted(knowledge.entries.values(), key=lambda entry: entry.title)
    room = MAX_SUGGESTED_PROMPTS - (1 if knowledge.quiz else 0)
    prompts = [
        {"title": clip(entry.title, MAX_BUTTON_TEXT), "message": entry.questions[0]}
        for entry in entries[:room]
    ]
    if knowledge.quiz:
        prompts.append({"title": "Quiz me", "message": "quiz"})
    return prompts
