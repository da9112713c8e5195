"""Checks that what the app sent is valid Block Kit within Slack's limits.

A message's table goes in its `attachments` (`[{"blocks": [table]}]`), as Slack's table block
reference says, never in its `blocks`; a message holds one table at most. slack_sdk's
`TableBlock` only checks that `rows` is not empty, so `table_problems` also checks tables
against the schema Slack documents (row and cell counts, cell types, column settings).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.attachments import BlockAttachment
from slack_sdk.models.blocks import Block

from tests.support.mock_api import Call

MAX_BLOCKS = 50  # per message (100 for a Home tab view)
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_ACTIONS_ELEMENTS = 25
MAX_TABLE_ROWS = 100
MAX_TABLE_CELLS = 20  # per row, and column settings per table
MAX_TABLES = 1  # per message
TABLE_CELL_TYPES = {"raw_text", "rich_text", "raw_number"}
ATTACHMENT_KEYS = {"blocks", "color", "fallback"}

Json = dict[str, Any]


def _text(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def table_problems(block: Json) -> list[str]:
    """Slack's table schema: 1-100 rows of 1-20 typed cells, at most 20 column settings."""
    problems = []
    rows = block.get("rows", [])
    if not 1 <= len(rows) <= MAX_TABLE_ROWS:
        problems.append(f"{len(rows)} rows (1 to {MAX_TABLE_ROWS})")
    if len({len(row) for row in rows}) > 1:
        problems.append("rows of different lengths")
    for row in rows:
        if not 1 <= len(row) <= MAX_TABLE_CELLS:
            problems.append(f"a row of {len(row)} cells (1 to {MAX_TABLE_CELLS})")
        for cell in row:
            if cell.get("type") not in TABLE_CELL_TYPES:
                problems.append(f"cell type {cell.get('type')}")
            if cell.get("type") == "raw_text" and not cell.get("text"):
                problems.append("empty raw_text cell")
            if cell.get("type") == "rich_text" and not cell.get("elements"):
                problems.append("empty rich_text cell")
    settings = block.get("column_settings", [])
    if len(settings) > MAX_TABLE_CELLS or any(
        setting is not None and not set(setting) <= {"align", "is_wrapped"} for setting in settings
    ):
        problems.append(f"column_settings {settings}")
    return problems


def _each_block_problems(blocks: Sequence[Json], where: str) -> list[str]:
    """slack_sdk's models and Slack's per-block limits, block by block."""
    problems: list[str] = []
    for index, block in enumerate(blocks):
        at = f"{where}block {index} ({block.get('type')})"
        parsed = Block.parse(block)
        if parsed is None:
            problems.append(f"{at}: slack_sdk cannot parse it")
            continue
        try:
            parsed.to_dict()  # runs slack_sdk's validators
        except Exception as error:  # slack_sdk raises SlackObjectFormationError and friends
            problems.append(f"{at}: {error}")
        kind = block.get("type")
        if kind == "section":
            if len(_text(block.get("text"))) > MAX_SECTION_TEXT:
                problems.append(f"{at}: text {len(_text(block['text']))} > {MAX_SECTION_TEXT}")
            for field in block.get("fields", []):
                if len(_text(field)) > MAX_FIELD_TEXT:
                    problems.append(f"{at}: field {len(_text(field))} > {MAX_FIELD_TEXT}")
        if kind == "header" and len(_text(block.get("text"))) > MAX_HEADER_TEXT:
            problems.append(f"{at}: header {len(_text(block['text']))} > {MAX_HEADER_TEXT}")
        if kind == "actions":
            elements = block.get("elements", [])
            if len(elements) > MAX_ACTIONS_ELEMENTS:
                problems.append(f"{at}: {len(elements)} elements > {MAX_ACTIONS_ELEMENTS}")
            for element in elements:
                label = _text(element.get("text"))
                if element.get("type") == "button" and len(label) > MAX_BUTTON_TEXT:
                    problems.append(f"{at}: button label {len(label)} > {MAX_BUTTON_TEXT}")
        if kind == "table":
            problems.extend(f"{at}: {problem}" for problem in table_problems(block))
    return problems


def block_problems(blocks: list[Json], *, limit: int = MAX_BLOCKS) -> list[str]:
    """Every way the `blocks` of a message or view break slack_sdk's models or Slack's limits,
    a table among them included (it belongs in a message's attachments). Empty when valid."""
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks > {limit}")
    problems.extend(_each_block_problems(blocks, ""))
    problems.extend(
        f"block {index}: a table in `blocks`; Slack takes it in `attachments`"
        for index, block in enumerate(blocks)
        if block.get("type") == "table"
    )
    return problems


def attachment_problems(attachments: Sequence[Any]) -> list[str]:
    """Every way a message's `attachments` of blocks (`[{"blocks": [...]}]`) are invalid."""
    problems: list[str] = []
    for index, attachment in enumerate(attachments):
        where = f"attachment {index}"
        if not isinstance(attachment, dict) or not isinstance(attachment.get("blocks"), list):
            problems.append(f"{where}: not an attachment of blocks: {attachment!r:.80}")
            continue
        if not set(attachment) <= ATTACHMENT_KEYS:
            problems.append(f"{where}: unexpected keys {sorted(set(attachment) - ATTACHMENT_KEYS)}")
        blocks = attachment["blocks"]
        if not 1 <= len(blocks) <= MAX_BLOCKS:
            problems.append(f"{where}: {len(blocks)} blocks (1 to {MAX_BLOCKS})")
        block_problems_here = _each_block_problems(blocks, f"{where} ")
        problems.extend(block_problems_here)
        if not block_problems_here:
            try:  # slack_sdk's own model of an attachment of blocks
                parsed = [Block.parse(block) for block in blocks]
                BlockAttachment(blocks=[block for block in parsed if block]).to_dict()
            except Exception as error:
                problems.append(f"{where}: {error}")
    return problems


def message_problems(blocks: list[Json], attachments: Sequence[Any] = ()) -> list[str]:
    """Every way a message (its `blocks` and `attachments`) is invalid; one table at most."""
    problems = block_problems(blocks) + attachment_problems(attachments)
    tables = [
        block
        for attachment in attachments
        if isinstance(attachment, dict)
        for block in attachment.get("blocks", [])
        if isinstance(block, dict) and block.get("type") == "table"
    ] + [block for block in blocks if block.get("type") == "table"]
    if len(tables) > MAX_TABLES:
        problems.append(f"{len(tables)} tables in one message (Slack allows {MAX_TABLES})")
    return problems


def assert_valid_delivery(call: Call) -> None:
    """A message or view that reached the mock: valid blocks and attachments (a message's table
    in its attachments, one at most); messages also need `text`; views have no table at all."""
    if call.method == "views.publish":
        view = call.body["view"]
        assert view["type"] == "home"
        assert "attachments" not in view, "a Home tab view has no attachments"
        problems = block_problems(view["blocks"], limit=MAX_VIEW_BLOCKS)
        assert not problems, problems
        return
    if call.body.get("delete_original"):
        return
    assert str(call.body.get("text", "")).strip(), f"{call.method}: no text fallback"
    if call.blocks is not None or call.attachments:
        problems = message_problems(call.blocks or [], call.attachments)
        assert not problems, problems
