"""Checks that what the app sent is valid Block Kit within Slack's limits."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from tests.slack.mock_api import Call

MAX_BLOCKS = 50  # per message (100 for a Home tab view)
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_ACTIONS_ELEMENTS = 25

Json = dict[str, Any]


def _text(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def block_problems(blocks: list[Json], *, limit: int = MAX_BLOCKS) -> list[str]:
    """Every way `blocks` breaks slack_sdk's models or Slack's limits (empty when valid)."""
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks > {limit}")
    for index, block in enumerate(blocks):
        where = f"block {index} ({block.get('type')})"
        parsed = Block.parse(block)
        if parsed is None:
            problems.append(f"{where}: slack_sdk cannot parse it")
            continue
        try:
            parsed.to_dict()  # runs slack_sdk's validators
        except Exception as error:  # slack_sdk raises SlackObjectFormationError and friends
            problems.append(f"{where}: {error}")
        kind = block.get("type")
        if kind == "section":
            if len(_text(block.get("text"))) > MAX_SECTION_TEXT:
                problems.append(f"{where}: text {len(_text(block['text']))} > {MAX_SECTION_TEXT}")
            for field in block.get("fields", []):
                if len(_text(field)) > MAX_FIELD_TEXT:
                    problems.append(f"{where}: field {len(_text(field))} > {MAX_FIELD_TEXT}")
        if kind == "header" and len(_text(block.get("text"))) > MAX_HEADER_TEXT:
            problems.append(f"{where}: header {len(_text(block['text']))} > {MAX_HEADER_TEXT}")
        if kind == "actions":
            elements = block.get("elements", [])
            if len(elements) > MAX_ACTIONS_ELEMENTS:
                problems.append(f"{where}: {len(elements)} elements > {MAX_ACTIONS_ELEMENTS}")
            for element in elements:
                label = _text(element.get("text"))
                if element.get("type") == "button" and len(label) > MAX_BUTTON_TEXT:
                    problems.append(f"{where}: button label {len(label)} > {MAX_BUTTON_TEXT}")
    return problems


def assert_valid_delivery(call: Call) -> None:
    """A message or view that reached the mock: valid blocks; messages also need `text`."""
    if call.method == "views.publish":
        view = call.body["view"]
        assert view["type"] == "home"
        problems = block_problems(view["blocks"], limit=MAX_VIEW_BLOCKS)
        assert not problems, problems
        return
    if call.body.get("delete_original"):
        return
    blocks = call.blocks
    assert str(call.body.get("text", "")).strip(), f"{call.method}: no text fallback"
    if blocks is not None:
        problems = block_problems(blocks)
        assert not problems, problems
