"""The parts of Slack's payloads the listeners rely on, as models: one parser, one error.

Anything else in a payload is ignored. A payload missing what we rely on raises `BadPayload`,
which the app logs once, without a traceback, after the request was acknowledged.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

Json = dict[str, Any]
P = TypeVar("P", bound="SlackPayload")


class BadPayload(ValueError):
    """A Slack payload without the fields a listener relies on (or with malformed ones)."""

    def __init__(self, model: str, error: ValidationError) -> None:
        fields = sorted({".".join(str(part) for part in item["loc"]) for item in error.errors()})
        super().__init__(f"{model}: missing or malformed {', '.join(fields) or 'payload'}")


def parse_payload(model: type[P], data: object) -> P:
    """`data` as `model`, or `BadPayload` naming the fields that are wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise BadPayload(model.__name__, error) from None


def _part(body: Json, key: str) -> Json:
    part = body.get(key)
    return part if isinstance(part, dict) else {}


def _team_id(body: Json) -> str:
    """The workspace of an interaction ("" when the payload does not say)."""
    return str(_part(body, "team").get("id") or _part(body, "user").get("team_id") or "")


SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,40}$")]


class SlackPayload(BaseModel):
    """The parts of a Slack payload the listeners rely on; the rest of it is ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class MessageEvent(SlackPayload):
    """An `app_mention` or `message` event."""

    type: str
    channel: SlackId
    ts: str
    text: str = ""
    user: SlackId | None = None
    thread_ts: str | None = None
    channel_type: str | None = None
    subtype: str | None = None
    bot_id: str | None = None

    @property
    def from_a_person(self) -> bool:
        """Typed by a person: not a bot, not an edit, a deletion or another subtype."""
        return self.user is not None and self.bot_id is None and self.subtype is None


class AssistantThread(SlackPayload):
    """The thread of an `assistant_thread_started` event: the side pane's conversation."""

    user_id: SlackId
    channel_id: SlackId
    thread_ts: str


class AssistantThreadStarted(SlackPayload):
    """Someone opened the assistant side pane with the app."""

    assistant_thread: AssistantThread


class HomeOpened(SlackPayload):
    """An `app_home_opened` event: someone opened the app's Home or Messages tab."""

    user: SlackId
    tab: str = "home"
    channel: SlackId | None = None  # the DM with the bot (the Messages tab)


class SlashCommand(SlackPayload):
    """A slash command invocation (form fields of the request)."""

    command: str
    text: str = ""
    user_id: SlackId
    channel_id: SlackId
    response_url: str


class ButtonClick(SlackPayload):
    """One button of a `block_actions` payload, with where the button was."""

    user_id: SlackId
    action_id: str
    value: str = ""
    channel_id: SlackId | None = None
    message_ts: str | None = None
    thread_ts: str | None = None
    is_ephemeral: bool = False
    in_view: bool = False
    response_url: str | None = None
    trigger_id: str | None = None
    team_id: str = ""

    @classmethod
    def from_payload(cls, body: Json, action: Json) -> ButtonClick:
        """The click from a `block_actions` body and the action clicked; `BadPayload` if the
        parts the listeners rely on are missing or malformed."""
        container = _part(body, "container")
        message = _part(body, "message")
        return parse_payload(
            cls,
            {
                "user_id": _part(body, "user").get("id"),
                "action_id": action.get("action_id"),
                "value": action.get("value") or "",
                "channel_id": _part(body, "channel").get("id") or container.get("channel_id"),
                "message_ts": container.get("message_ts") or message.get("ts"),
                "thread_ts": message.get("thread_ts"),
                "is_ephemeral": bool(container.get("is_ephemeral")),
                "in_view": container.get("type") == "view",
                "response_url": body.get("response_url"),
                "trigger_id": body.get("trigger_id"),
                "team_id": _team_id(body),
            },
        )

    @property
    def reply_thread(self) -> str | None:
        """Where an answer to the click goes: the message's thread; top level in a DM."""
        if self.channel_id and self.channel_id.startswith("D"):
            return self.thread_ts
        return self.thread_ts or self.message_ts


class ViewSubmission(SlackPayload):
    """A modal's `view_submission`: who submitted it, which modal, and its inputs' values."""

    user_id: SlackId
    team_id: str = ""
    callback_id: str
    private_metadata: str = ""
    values: dict[str, dict[str, Json]] = {}

    @classmethod
    def from_payload(cls, body: Json) -> ViewSubmission:
        view = _part(body, "view")
        return parse_payload(
            cls,
            {
                "user_id": _part(body, "user").get("id"),
                "team_id": _team_id(body),
                "callback_id": view.get("callback_id"),
                "private_metadata": view.get("private_metadata") or "",
                "values": _part(view, "state").get("values") or {},
            },
        )

    def selected(self, block_id: str, action_id: str) -> str | None:
        """The value of the option picked in a select menu, or None."""
        option = self.values.get(block_id, {}).get(action_id, {}).get("selected_option")
        return str(option["value"]) if isinstance(option, dict) and "value" in option else None

    def selected_all(self, block_id: str, action_id: str) -> list[str]:
        """The values of the options picked in a multi-select menu."""
        options = self.values.get(block_id, {}).get(action_id, {}).get("selected_options") or []
        return [str(o["value"]) for o in options if isinstance(o, dict) and "value" in o]

    def text(self, block_id: str, action_id: str) -> str:
        """What was typed in a text input ("" when left empty)."""
        return str(self.values.get(block_id, {}).get(action_id, {}).get("value") or "")


class MessageShortcut(SlackPayload):
    """A message shortcut (`message_action`): who used it on which message."""

    user_id: SlackId
    team_id: str = ""
    callback_id: str
    trigger_id: str
    channel_id: SlackId
    message_ts: str
    thread_ts: str | None = None
    text: str = ""

    @classmethod
    def from_payload(cls, body: Json) -> MessageShortcut:
        message = _part(body, "message")
        return parse_payload(
            cls,
            {
                "user_id": _part(body, "user").get("id"),
                "team_id": _team_id(body),
                "callback_id": body.get("callback_id"),
                "trigger_id": body.get("trigger_id"),
                "channel_id": _part(body, "channel").get("id"),
                "message_ts": body.get("message_ts") or message.get("ts"),
                "thread_ts": message.get("thread_ts"),
                "text": message.get("text") or "",
            },
        )

    @property
    def parent_ts(self) -> str | None:
        """The thread's first message, when this message is a reply in a thread."""
        return self.thread_ts if self.thread_ts and self.thread_ts != self.message_ts else None


class MemberJoined(SlackPayload):
    """A `member_joined_channel` event: who joined which channel."""

    user: SlackId
    channel: SlackId


class RevokedTokens(SlackPayload):
    """The `tokens` of a `tokens_revoked` event: the people whose tokens went, and the bot's."""

    oauth: list[SlackId] = []
    bot: list[SlackId] = []


class TokensRevoked(SlackPayload):
    """A `tokens_revoked` event."""

    tokens: RevokedTokens
