"""Diagrams drawn as PNG with Pillow, from the same `DiagramSpec` as the text version.

Sized for phones: Slack shrinks a 960 px wide image to about 360 pt on a phone, so box labels
are drawn at 24 px or more (32 px when they fit) and wrap onto more lines rather than shrink
further. Each layer kind has its own colour, explained by a legend under the stacks. A spec is
drawn once per process; later calls get the cached bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.core.models import Box, DiagramSpec, LayerKind, Stack

WIDTH = 960
MARGIN = 32
STACK_GAP = 24
PANEL_PAD = 14
ROW_HEIGHT = 84
ROW_GAP = 10
BOX_GAP = 8
BOX_PAD = 8
RADIUS = 14
LEADING = 4

BACKGROUND = "#ffffff"
INK = "#1d1c1d"
MUTED = "#4a4a4a"
PANEL = "#f4f4f5"
PANEL_EDGE = "#dddddd"

# (font size, most lines) tried in order: one line big, then wrapped, never below 24 px.
LABEL_FITS = ((32, 1), (28, 1), (32, 2), (28, 2), (24, 2), (28, 3), (24, 3), (24, 4))
HEADING_FITS = ((28, 1), (24, 1), (24, 2), (22, 2))
TITLE_FITS = ((40, 1), (36, 1), (36, 2), (32, 2), (32, 3))
LEGEND_SIZE = 26
CAPTION_SIZE = 24


@dataclass(frozen=True)
class Palette:
    """How one layer kind is drawn and what the legend calls it."""

    fill: str
    edge: str
    text: str
    name: str


PALETTE: dict[LayerKind, Palette] = {
    "app": Palette("#2f80ed", "#1b5fbf", "#ffffff", "App"),
    "runtime": Palette("#0db7ed", "#0a8fba", "#0b2530", "Container runtime"),
    "vm": Palette("#f2c94c", "#c9a22b", "#2b2205", "Virtual machine"),
    "guest_os": Palette("#9b51e0", "#7433b3", "#ffffff", "Guest OS"),
    "kernel": Palette("#f2994a", "#c4732c", "#2b1a0b", "Kernel"),
    "hypervisor": Palette("#eb5757", "#b83b3b", "#ffffff", "Hypervisor"),
    "host_os": Palette("#27ae60", "#1c8348", "#ffffff", "Host OS"),
    "hardware": Palette("#4f4f4f", "#2d2d2d", "#ffffff", "Hardware"),
}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Rect = tuple[float, float, float, float]

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
_MEASURE = ImageDraw.Draw(Image.new("RGB", (1, 1)))


@lru_cache(maxsize=32)
def font(size: int, *, bold: bool = True) -> Font:
    """DejaVu Sans when the system has it, else the TrueType font bundled with Pillow."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)


@dataclass(frozen=True)
class Label:
    """Text laid out for a box: the font, its size and the wrapped lines."""

    face: Font
    size: int
    lines: list[str]

    @property
    def height(self) -> int:
        return len(self.lines) * self.size + (len(self.lines) - 1) * LEADING


def _width(text: str, face: Font) -> float:
    return _MEASURE.textlength(text, font=face)


def _wrap(text: str, face: Font, width: float) -> list[str]:
    """Greedy word wrap; a word wider than `width` stays on its own (overlong) line."""
    lines: list[str] = []
    for word in text.split():
        if lines and _width(f"{lines[-1]} {word}", face) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _ellipsize(line: str, face: Font, width: float) -> str:
    while _width(line, face) > width and len(line) > 1:
        line = line[:-2].rstrip() + "…"
    return line


def layout_label(
    text: str, width: float, fits: tuple[tuple[int, int], ...], *, bold: bool = True
) -> Label:
    """The first (size, most lines) in `fits` at which `text` wraps inside `width`.

    When none fits, the last one is used and the text is cut with an ellipsis.
    """
    for size, most in fits:
        face = font(size, bold=bold)
        lines = _wrap(text, face, width)
        if len(lines) <= most and all(_width(line, face) <= width for line in lines):
            return Label(face, size, lines)
    size, most = fits[-1]
    face = font(size, bold=bold)
    lines = _wrap(text, face, width)
    if len(lines) > most:
        lines = [*lines[: most - 1], " ".join(lines[most - 1 :])]
    return Label(face, size, [_ellipsize(line, face, width) for line in lines])


def _draw_label(draw: ImageDraw.ImageDraw, rect: Rect, label: Label, fill: str) -> None:
    """The label's lines centred in `rect`."""
    left, top, right, bottom = rect
    y = (top + bottom - label.height) / 2
    for line in label.lines:
        draw.text(
            ((left + right) / 2, y + label.size / 2), line, font=label.face, fill=fill, anchor="mm"
        )
        y += label.size + LEADING


@dataclass(frozen=True)
class StackLayout:
    """A stack measured for a panel of a given width: its heading and each row's labels."""

    heading: Label
    rows: list[list[tuple[Box, Label]]]
    box_widths: list[float]
    row_heights: list[int]

    @property
    def body_height(self) -> int:
        return sum(self.row_heights) + ROW_GAP * (len(self.row_heights) - 1)


def _layout_stack(stack: Stack, inner_width: float) -> StackLayout:
    rows, widths, heights = [], [], []
    for row in stack.rows:
        cell = (inner_width - BOX_GAP * (len(row) - 1)) / len(row)
        labels = [(box, layout_label(box.label, cell - 2 * BOX_PAD, LABEL_FITS)) for box in row]
        rows.append(labels)
        widths.append(cell)
        heights.append(max(ROW_HEIGHT, *(label.height + 24 for _, label in labels)))
    heading = layout_label(stack.title, inner_width, HEADING_FITS)
    return StackLayout(heading, rows, widths, heights)


def _draw_stack(draw: ImageDraw.ImageDraw, layout: StackLayout, left: float, bottom: float) -> None:
    """Rows from the top down, resting on `bottom` so that every stack's base lines up."""
    y = bottom - layout.body_height
    for row, cell, height in zip(layout.rows, layout.box_widths, layout.row_heights, strict=True):
        for column, (box, label) in enumerate(row):
            x = left + column * (cell + BOX_GAP)
            colours = PALETTE[box.kind]
            rect = (x, y, x + cell, y + height)
            draw.rounded_rectangle(
                rect, radius=RADIUS, fill=colours.fill, outline=colours.edge, width=3
            )
            _draw_label(draw, rect, label, colours.text)
        y += height + ROW_GAP


def _kinds(spec: DiagramSpec) -> list[LayerKind]:
    """The layer kinds the spec uses, in palette order (top of a stack to its bottom)."""
    used = {box.kind for stack in spec.stacks for row in stack.rows for box in row}
    return [kind for kind in PALETTE if kind in used]


def _legend_positions(kinds: list[LayerKind], top: float) -> list[tuple[LayerKind, float, float]]:
    """Where each legend entry goes, wrapping onto a new line at the right margin."""
    face = font(LEGEND_SIZE, bold=False)
    positions, x, y = [], float(MARGIN), top
    for kind in kinds:
        width = LEGEND_SIZE + 10 + _width(PALETTE[kind].name, face)
        if x > MARGIN and x + width > WIDTH - MARGIN:
            x, y = float(MARGIN), y + LEGEND_SIZE + 16
        positions.append((kind, x, y))
        x += width + 28
    return positions


def draw_diagram(spec: DiagramSpec) -> Image.Image:
    """The diagram as an image: title, the stacks side by side on panels, legend, caption."""
    content = WIDTH - 2 * MARGIN
    title = layout_label(spec.title, content, TITLE_FITS)
    caption = (
        layout_label(spec.caption, content, ((CAPTION_SIZE, 6),), bold=False)
        if spec.caption
        else None
    )
    count = len(spec.stacks)
    panel_width = (content - STACK_GAP * (count - 1)) / count
    layouts = [_layout_stack(stack, panel_width - 2 * PANEL_PAD) for stack in spec.stacks]
    heading_height = max(layout.heading.height for layout in layouts)
    panel_height = (
        PANEL_PAD + heading_height + 14 + max(layout.body_height for layout in layouts) + PANEL_PAD
    )

    panels_top = MARGIN + title.height + 24
    legend_top = panels_top + panel_height + 24
    legend = _legend_positions(_kinds(spec), legend_top)
    bottom = legend[-1][2] + LEGEND_SIZE
    if caption:
        bottom += 18 + caption.height
    image = Image.new("RGB", (WIDTH, int(bottom + MARGIN)), BACKGROUND)
    draw = ImageDraw.Draw(image)

    _draw_label(draw, (MARGIN, MARGIN, WIDTH - MARGIN, MARGIN + title.height), title, INK)
    for index, layout in enumerate(layouts):
        left = MARGIN + index * (panel_width + STACK_GAP)
        draw.rounded_rectangle(
            (left, panels_top, left + panel_width, panels_top + panel_height),
            radius=RADIUS + 4,
            fill=PANEL,
            outline=PANEL_EDGE,
            width=2,
        )
        heading_top = panels_top + PANEL_PAD
        _draw_label(
            draw,
            (left, heading_top, left + panel_width, heading_top + heading_height),
            layout.heading,
            MUTED,
        )
        _draw_stack(draw, layout, left + PANEL_PAD, panels_top + panel_height - PANEL_PAD)

    face = font(LEGEND_SIZE, bold=False)
    for kind, x, y in legend:
        colours = PALETTE[kind]
        draw.rounded_rectangle(
            (x, y, x + LEGEND_SIZE, y + LEGEND_SIZE),
            radius=6,
            fill=colours.fill,
            outline=colours.edge,
        )
        draw.text(
            (x + LEGEND_SIZE + 10, y + LEGEND_SIZE / 2),
            colours.name,
            font=face,
            fill=INK,
            anchor="lm",
        )
    if caption:
        y = legend[-1][2] + LEGEND_SIZE + 18
        for line in caption.lines:
            draw.text((MARGIN, y), line, font=caption.face, fill=MUTED)
            y += caption.size + LEADING
    return image


@lru_cache(maxsize=64)
def _png_for(spec_json: str) -> bytes:
    image = draw_diagram(DiagramSpec.model_validate_json(spec_json))
    buffer = io.BytesIO()
    # Flat colours: a 64-colour palette keeps anti-aliased edges smooth and the file small.
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(
        buffer, format="PNG", optimize=True
    )
    return buffer.getvalue()


def render_diagram_png(spec: DiagramSpec) -> bytes:
    """The diagram as PNG bytes, drawn once per spec and then served from memory."""
    return _png_for(spec.model_dump_json())
