"""Every action id the bot's buttons carry, in one place: builders set them, listeners match them.

Ids that carry a target put it after a colon (`open_topic:image-size`, `onboarding_tour:2`) so
that several buttons in one actions block stay unique; listeners match those by prefix.
"""

from __future__ import annotations

import re

OPEN_TOPIC = "open_topic"  # `open_topic:<entry id>`, value = entry id
SHARE = "share_in_channel"  # value = entry id, SHARE_COMPARISON or SHARE_DIAGRAM + diagram id
FEEDBACK = "feedback"  # Slack's feedback buttons; value = "up:<entry id>" or "down:<entry id>"
FEEDBACK_UP = "feedback_up"  # the hand-made 👍 of cards posted before; value = entry id
FEEDBACK_DOWN = "feedback_down"
SHOW_DIAGRAM_IMAGE = "show_diagram_image"  # `show_diagram_image:<diagram id>`, value = diagram id

TOUR_STEP = "onboarding_tour"  # `onboarding_tour:<step index>`
TOUR_DONE = "onboarding_tour_done"
QUIZ_START = "onboarding_quiz_start"
QUIZ_ANSWER = "onboarding_quiz_answer"  # `onboarding_quiz_answer:<option index>`, value = run
QUIZ_NEXT = "onboarding_quiz_next"  # value = run
HOW_TO_ASK = "onboarding_how_to_ask"

TEACH = "teach_miss"  # value = the miss id
TEACH_VIEW = "teach"  # the teach modal's callback_id; private_metadata = the miss id
TEACH_ENTRY_BLOCK = "teach_entry"
TEACH_ENTRY = "teach_entry_select"  # value = an entry id or OUT_OF_SCOPE
OUT_OF_SCOPE = ":out-of-scope"

ASK_EXPERTS = "ask_experts"  # on a decline; value = the question
SAVE_SHORTCUT = "save_to_vmdocker"  # the message shortcut's callback_id
SAVE_FROM_EXPERT = "save_expert_reply"  # value = the expert question id
SAVE_VIEW = "save_draft"  # the save modal's callback_id; private_metadata = the source URL
SAVE_TITLE = "save_title"  # block id and action id of each input (the same)
SAVE_QUESTION = "save_question"
SAVE_ANSWER = "save_answer"
SAVE_TAGS = "save_tags"
SAVE_RELATED = "save_related"

SHARE_COMPARISON = ":compare"  # share values that are not entry ids contain a colon
SHARE_DIAGRAM = ":diagram:"


def with_target(action_id: str) -> re.Pattern[str]:
    """Matches `action_id` alone or followed by `:<target>`."""
    return re.compile(rf"^{re.escape(action_id)}(:|$)")


def indexed(action_id: str) -> re.Pattern[str]:
    """Matches `action_id:<number>`."""
    return re.compile(rf"^{re.escape(action_id)}:\d+$")


def target_index(action_id: str) -> int:
    """The number after the colon of an indexed action id."""
    return int(action_id.rpartition(":")[2])
