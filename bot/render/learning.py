"""Block Kit for keeping the knowledge true and growing it: stale entries and questions to
teach on the Home tab, the owner's review reminder, the teach modal and what it sends. Pure
builders: data in, blocks or views out."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.models import Entry, KnowledgeBase, Reply
from bot.render.actions import OUT_OF_SCOPE, TEACH, TEACH_ENTRY, TEACH_ENTRY_BLOCK, TEACH_VIEW
from bot.render.answers import Surface, answer_message
from bot.render.blocks import (
    MAX_BLOCKS,
    MAX_QUOTED_QUESTION,
    Block,
    BlockMessage,
    button,
    clip,
    clip_escaped,
    context,
    escape,
    header,
    plain_text,
    section,
)
from bot.store.records import Miss

MAX_HOME_STALE = 10
MAX_HOME_TEACH = 5
MAX_OPTION_TEXT = 75  # Slack's limit for an option's text and an option group's label
MAX_OPTIONS = 100  # per static_select, all groups together
MAX_MODAL_TITLE = 24
OTHER_TAG = "other"


def _stale_line(entry: Entry) -> str:
    owner = f" · owner <@{entry.owner}>" if entry.owner else " · no owner"
    return f"• {escape(entry.title)} (`{entry.id}`): due {entry.review_due}{owner}"


def render_stale_entries(stale: list[Entry]) -> list[Block]:
    """Admins' Home tab section: answers past their review date, the longest overdue first."""
    if not stale:
        return [section("*Answers due for review*\n_None: every verified answer is current._")]
    lines = [_stale_line(entry) for entry in stale[:MAX_HOME_STALE]]
    more = len(stale) - MAX_HOME_STALE
    if more > 0:
        lines.append(f"_…and {more} more: `vmdocker check --stale` lists them all._")
    return [section("*Answers due for review*\n" + "\n".join(lines))]


def review_reminder(entry: Entry, today: date) -> BlockMessage:
    """The DM an entry's owner gets once its review date has come."""
    due = entry.review_due or today
    text = (
        f"“{entry.title}” is due for review (since {due}; last verified {entry.verified}). "
        f"Please check it in {entry.source.name} and update `verified:` when it is still right."
    )
    return BlockMessage(
        text=escape(text),
        blocks=[
            header("An answer you own is due for review"),
            section(
                f"*{escape(entry.title)}* (`{entry.id}`) was last verified on {entry.verified} "
                f"and is due for review since {due}."
            ),
            context(
                f"Check the answer in `knowledge/entries/{escape(entry.source.name)}`; when it "
                "is still right, set `verified:` to today's date and commit."
            ),
        ],
    )


# --- teaching a missed question ---------------------------------------------------


def _quoted(question: str) -> str:
    return clip_escaped(" ".join(question.split()), MAX_QUOTED_QUESTION)


def _where(miss: Miss) -> str:
    if miss.channel_id.startswith(("C", "G")):
        return f"in <#{miss.channel_id}>"
    return "privately"


def render_teachable(misses: list[Miss] | None) -> list[Block]:
    """Editors' Home tab section: the latest questions nobody has taught yet, each with Teach."""
    blocks: list[Block] = [header("Questions to teach")]
    if misses is None:
        return [*blocks, context("The store cannot be reached just now.")]
    if not misses:
        return [*blocks, context("Nothing to teach: every missed question has been handled.")]
    for miss in misses[:MAX_HOME_TEACH]:
        line = f"“{_quoted(miss.question)}”\n<@{miss.user_id}> asked {_where(miss)}"
        blocks.append({**section(line), "accessory": button("Teach", TEACH, str(miss.id))})
    return blocks


def _missed(miss: Miss) -> Block:
    asked = f"<@{miss.user_id}> asked {_where(miss)}: “{_quoted(miss.question)}”"
    return section(f"*I could not answer this*\n{asked}")


def miss_post(miss: Miss) -> BlockMessage:
    """A missed question as posted once to MISSES_CHANNEL, with a Teach button."""
    return BlockMessage(
        text=clip(f"I could not answer: “{_quoted(miss.question)}”", 3000),
        blocks=[
            {**_missed(miss), "accessory": button("Teach", TEACH, str(miss.id), "primary")},
            context("Editors: Teach picks the entry that answers it, or marks it out of scope."),
        ],
    )


def miss_handled(miss: Miss, *, editor: str, entry: Entry | None) -> BlockMessage:
    """The MISSES_CHANNEL post once the miss is handled: what was done, no Teach any more."""
    done = (
        f"<@{editor}> taught it: *{escape(entry.title)}* (`{entry.id}`)"
        if entry
        else f"<@{editor}> set it aside as out of scope"
    )
    line = f"<@{miss.user_id}> asked {_where(miss)}: “{_quoted(miss.question)}”"
    return BlockMessage(
        text=clip(f"Handled: “{_quoted(miss.question)}”", 3000),
        blocks=[
            section(f"*I could not answer this*\n{line}"),
            context(f":white_check_mark: {done}"),
        ],
    )


def _entry_options(knowledge: KnowledgeBase) -> list[Block]:
    """Every entry, grouped by its first tag, then a group to set the question aside."""
    groups: dict[str, list[Block]] = {}
    for entry in sorted(knowledge.entries.values(), key=lambda e: e.title.casefold()):
        tag = entry.tags[0] if entry.tags else OTHER_TAG
        option = {"text": plain_text(entry.title, MAX_OPTION_TEXT), "value": entry.id}
        groups.setdefault(tag, []).append(option)
    room = MAX_OPTIONS - 1
    option_groups = []
    for tag in sorted(groups):
        options = groups[tag][:room]
        room -= len(options)
        if options:
            label = plain_text(tag.replace("-", " ").capitalize(), MAX_OPTION_TEXT)
            option_groups.append({"label": label, "options": options})
    scope = {
        "text": plain_text("Out of scope: not for this bot", MAX_OPTION_TEXT),
        "value": OUT_OF_SCOPE,
    }
    option_groups.append({"label": plain_text("Set aside", MAX_OPTION_TEXT), "options": [scope]})
    return option_groups


def modal(title: str, blocks: list[Block], **extra: Any) -> dict[str, Any]:
    """A modal view: its title and close button within Slack's limits, `extra` as given."""
    return {
        "type": "modal",
        "title": plain_text(title, MAX_MODAL_TITLE),
        "close": plain_text("Close", MAX_MODAL_TITLE),
        "blocks": blocks[:MAX_BLOCKS],
        **extra,
    }


def teach_modal(miss: Miss, knowledge: KnowledgeBase) -> dict[str, Any]:
    """The Teach modal: the question, and a searchable list of entries to answer it with."""
    return modal(
        "Teach vmdocker",
        [
            section(f"<@{miss.user_id}> asked: “{_quoted(miss.question)}”"),
            {
                "type": "input",
                "block_id": TEACH_ENTRY_BLOCK,
                "label": plain_text("Which entry answers it?", 2000),
                "element": {
                    "type": "static_select",
                    "action_id": TEACH_ENTRY,
                    "placeholder": plain_text("Type to search the entries", 150),
                    "option_groups": _entry_options(knowledge),
                },
            },
            context(
                "The wording becomes an example question of that entry at once, in every "
                "worker; the asker gets the answer. `vmdocker learned --export` writes it "
                "into knowledge/ for review."
            ),
        ],
        callback_id=TEACH_VIEW,
        private_metadata=str(miss.id),
        submit=plain_text("Teach", MAX_MODAL_TITLE),
    )


def notice_view(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something: a refusal, or what teaching did."""
    return modal(title, [section(text)])


def teach_result(question: str, entry: Entry | None, routed_to: Entry | None) -> str:
    """What the editor is told after teaching: done, and the self-check's warning if the
    wording would be answered with another entry."""
    asked = _quoted(question)
    if entry is None:
        return f"Set aside “{asked}” as out of scope: it no longer waits to be taught."
    done = f"Taught: “{asked}” now answers with *{escape(entry.title)}* (`{entry.id}`)."
    if routed_to is not None and routed_to.id == entry.id:
        return done + "\nSelf-check: it routes there. The asker got the answer."
    where = f"*{escape(routed_to.title)}* (`{routed_to.id}`)" if routed_to else "no entry"
    return (
        done + f"\n:warning: Self-check: the wording still routes to {where}. Add keywords "
        "to the entry, or teach a clearer wording; the asker got the answer you picked."
    )


def taught_answer(reply: Reply, *, asker: str, editor: str, surface: Surface) -> BlockMessage:
    """The answer a person taught, sent to whoever asked it, saying so."""
    card = answer_message(reply, surface=surface)
    intro = section(
        f"<@{asker}> You asked “{_quoted(reply.question)}” and I wasn't sure. "
        f"<@{editor}> taught me the answer:"
    )
    return BlockMessage(
        text=card.text, blocks=[intro, *card.blocks][:MAX_BLOCKS], attachments=card.attachments
    )
