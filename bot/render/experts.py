"""Block Kit for asking the experts: the question as posted to EXPERTS_CHANNEL, the expert's
answer as brought back to the asker, and "Save to vmdocker" offered to the expert. Pure."""

from __future__ import annotations

from bot.render.actions import SAVE_FROM_EXPERT
from bot.render.blocks import (
    MAX_QUOTED_QUESTION,
    MAX_SECTION_TEXT,
    BlockMessage,
    button,
    clip,
    clip_escaped,
    context,
    defuse,
    section,
)


def _quoted(question: str) -> str:
    return clip_escaped(" ".join(question.split()), MAX_QUOTED_QUESTION)


def experts_post(*, asker: str, question: str, link: str | None) -> BlockMessage:
    """The question in the experts' channel: who asked, a link to where (None: privately)."""
    where = f"<{link}|see the conversation>" if link else "asked privately"
    return BlockMessage(
        text=clip(f"A question for the experts: “{_quoted(question)}”", 3000),
        blocks=[
            section(f"*A question for the experts* from <@{asker}> ({where})"),
            section(f"> {_quoted(question)}"),
            context(
                f"Reply in this thread: the first reply goes back to <@{asker}>, and "
                "editors can then save it to vmdocker."
            ),
        ],
    )


def expert_answer(*, asker: str, expert: str, question: str, answer: str) -> BlockMessage:
    """The first expert reply, brought back to whoever asked."""
    said = clip(defuse(answer), MAX_SECTION_TEXT - 100)
    return BlockMessage(
        text=clip(f"An expert answered “{_quoted(question)}”: {said}", 3000),
        blocks=[
            section(f"<@{asker}> <@{expert}> answered your question “{_quoted(question)}”:"),
            section(said),
        ],
    )


def save_offer(question_id: int) -> BlockMessage:
    """Offered to an expert who is an editor, under their reply: save it as a draft entry."""
    return BlockMessage(
        text="Your answer went back to the asker. Save it to vmdocker?",
        blocks=[
            {
                **section("Your answer went back to the asker. Save it so the bot knows it?"),
                "accessory": button("Save to vmdocker", SAVE_FROM_EXPERT, str(question_id)),
            }
        ],
    )


def sent_to_experts(channel: str) -> str:
    return f"Sent to the experts in <#{channel}>. The first answer there comes back to you here."
