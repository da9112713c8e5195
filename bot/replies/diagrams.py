"""Diagrams drawn as text with box-drawing characters, at most 60 columns wide."""

from __future__ import annotations

from bot.models import Box, DiagramSpec, Stack

MAX_COLUMNS = 60
GAP = 2


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


def _fit(label: str, width: int) -> str:
    if len(label) > width:
        label = label[: max(width - 1, 0)] + "…"
    return label.center(width)


def _row_line(boxes: list[Box], width: int) -> str:
    cells = _cells(width, len(boxes))
    return (
        "│" + "│".join(_fit(box.label, cell) for box, cell in zip(boxes, cells, strict=True)) + "│"
    )


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
    lines = [_fit(stack.title, width)]
    counts = [len(row) for row in stack.rows]
    lines.append(_border(width, None, counts[0]))
    for index, row in enumerate(stack.rows):
        lines.append(_row_line(row, width))
        below = counts[index + 1] if index + 1 < len(counts) else None
        lines.append(_border(width, counts[index], below))
    return lines


def render_diagram_text(spec: DiagramSpec, columns: int = MAX_COLUMNS) -> str:
    """The diagram as text: stacks side by side, bottom-aligned, within `columns`."""
    count = len(spec.stacks)
    width = (columns - GAP * (count - 1)) // count
    drawn = [render_stack(stack, width) for stack in spec.stacks]
    height = max(len(lines) for lines in drawn)
    padded = [[" " * width] * (height - len(lines)) + lines for lines in drawn]
    body = [(" " * GAP).join(parts).rstrip() for parts in zip(*padded, strict=True)]
    title = spec.title if len(spec.title) <= columns else spec.title[: columns - 1] + "…"
    return "\n".join([title, "", *body])
