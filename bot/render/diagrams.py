"""Diagrams drawn as text with box-drawing characters, at most 60 columns wide (phone width).

Labels that do not fit their cell wrap onto more lines; a single word too long for its cell is
cut with an ellipsis. Stacks sit side by side, bottom-aligned so that the hardware lines up.
"""

from __future__ import annotations

import textwrap

from bot.core.models import Box, DiagramSpec, Stack

MAX_COLUMNS = 60
GAP = 2
MAX_LABEL_LINES = 3


def _cells(width: int, count: int) -> list[int]:
    """Widths of `count` cells sharing `width` columns with single-line borders between them."""
    inner = width - 1 - count
    base, extra = divmod(inner, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def _dividers(width: int, count: int) -> set[int]:
    positions, x = set(), 0
    for cell in _cells(width, count)[:-1]:
        x += cell + 1
        positions.add(x)
    return positions


def wrap_label(label: str, width: int, most: int = MAX_LABEL_LINES) -> list[str]:
    """`label` in lines of at most `width` characters, at most `most` lines, "…" where cut."""
    if width <= 1:
        return ["…"[:width]]
    lines = textwrap.wrap(label, width, break_long_words=False, break_on_hyphens=False)
    lines = [line if len(line) <= width else line[: width - 1] + "…" for line in lines]
    if len(lines) > most:
        last = lines[most - 1]
        lines = [
            *lines[: most - 1],
            (last if len(last) < width else last[: width - 1]).rstrip() + "…",
        ]
    return lines or [""]


def _row_lines(boxes: list[Box], width: int) -> list[str]:
    cells = _cells(width, len(boxes))
    labels = [wrap_label(box.label, cell) for box, cell in zip(boxes, cells, strict=True)]
    height = max(len(lines) for lines in labels)
    # Centre each label vertically within the row's height.
    padded = [
        [""] * ((height - len(lines)) // 2)
        + lines
        + [""] * (height - len(lines) - (height - len(lines)) // 2)
        for lines in labels
    ]
    return [
        "│" + "│".join(padded[i][line].center(cell) for i, cell in enumerate(cells)) + "│"
        for line in range(height)
    ]


def _border(width: int, above: int | None, below: int | None) -> str:
    up = _dividers(width, above) if above else set()
    down = _dividers(width, below) if below else set()
    left = "┌" if above is None else "└" if below is None else "├"
    right = "┐" if above is None else "┘" if below is None else "┤"
    middle = []
    for x in range(1, width - 1):
        middle.append(
            "┼" if x in up and x in down else "┴" if x in up else "┬" if x in down else "─"
        )
    return left + "".join(middle) + right


def render_stack(stack: Stack, width: int) -> list[str]:
    """One stack as lines of exactly `width` characters, title first."""
    lines = [line.center(width) for line in wrap_label(stack.title, width, most=2)]
    counts = [len(row) for row in stack.rows]
    lines.append(_border(width, None, counts[0]))
    for index, row in enumerate(stack.rows):
        lines.extend(_row_lines(row, width))
        below = counts[index + 1] if index + 1 < len(counts) else None
        lines.append(_border(width, counts[index], below))
    return lines


def render_diagram_text(spec: DiagramSpec, columns: int = MAX_COLUMNS) -> str:
    """The diagram as text: title, then stacks side by side and bottom-aligned, within `columns`."""
    count = len(spec.stacks)
    width = (columns - GAP * (count - 1)) // count
    drawn = [render_stack(stack, width) for stack in spec.stacks]
    height = max(len(lines) for lines in drawn)
    padded = [[" " * width] * (height - len(lines)) + lines for lines in drawn]
    body = [(" " * GAP).join(parts).rstrip() for parts in zip(*padded, strict=True)]
    title = wrap_label(spec.title, columns, most=2)
    return "\n".join([*title, "", *body])
