"""Block Kit for keeping the knowledge true and growing it: stale entries on the admin Home
tab and the owner's review reminder. Pure builders: data in, blocks out."""

from __future__ import annotations

from datetime import date

from bot.core.models import Entry
from bot.render.blocks import Block, BlockMessage, context, escape, header, section

MAX_HOME_STALE = 10


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
