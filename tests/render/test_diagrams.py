"""Diagrams from data: every spec as text within 60 columns and as a small, legible PNG."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import main
from bot.core.answers import Answers
from bot.core.models import DiagramSpec
from bot.render import images
from bot.render.diagrams import MAX_COLUMNS, render_diagram_text, wrap_label
from bot.render.images import PALETTE, WIDTH, render_diagram_png
from tests.conftest import KNOWLEDGE

MAX_PNG_BYTES = 200_000

CROWDED = DiagramSpec.model_validate(
    {
        "id": "crowded",
        "title": "Three stacks with labels far too long for a phone-width text diagram at all",
        "alt": "A stress test for the layout.",
        "caption": "Type 1 runs on bare metal; type 2 runs as an app on a host OS. " * 3,
        "stacks": [
            {
                "title": "Type 1 hypervisor (bare metal)",
                "rows": [
                    [{"label": f"VM {n}", "kind": "vm"} for n in range(1, 5)],
                    [{"label": "Hypervisor (ESXi, Hyper-V, KVM, Xen)", "kind": "hypervisor"}],
                    [{"label": "Hardware", "kind": "hardware"}],
                ],
            },
            {
                "title": "Type 2",
                "rows": [
                    [{"label": "Supercalifragilisticexpialidocious", "kind": "app"}],
                    [
                        {
                            "label": "VirtualBox / VMware Workstation / Parallels",
                            "kind": "hypervisor",
                        }
                    ],
                    [{"label": "Host OS", "kind": "host_os"}],
                    [{"label": "Hardware", "kind": "hardware"}],
                ],
            },
            {
                "title": "Docker Desktop",
                "rows": [
                    [{"label": "Containers", "kind": "app"}],
                    [{"label": "containerd runtime", "kind": "runtime"}],
                    [{"label": "Linux kernel", "kind": "kernel"}],
                    [{"label": "LinuxKit guest OS", "kind": "guest_os"}],
                    [{"label": "Hypervisor framework", "kind": "hypervisor"}],
                    [{"label": "macOS", "kind": "host_os"}],
                ],
            },
        ],
    }
)


def all_specs(answers: Answers) -> list[DiagramSpec]:
    return [*answers.knowledge.diagrams.values(), CROWDED]


def test_the_knowledge_base_has_diagrams(answers: Answers) -> None:
    assert {"container-vs-vm", "os-layers"} <= set(answers.knowledge.diagrams)


# --- text -------------------------------------------------------------------


def test_every_text_diagram_fits_sixty_columns(answers: Answers) -> None:
    for spec in all_specs(answers):
        lines = render_diagram_text(spec).splitlines()
        widest = max(len(line) for line in lines)
        assert widest <= MAX_COLUMNS, f"{spec.id}: {widest} columns"


def test_text_diagram_shows_every_label_and_lines_up_the_bottoms(answers: Answers) -> None:
    for spec in answers.knowledge.diagrams.values():
        drawing = render_diagram_text(spec)
        flat = " ".join(drawing.split())  # wrapped labels read back as one line of words
        words = " ".join(flat.replace("│", " ").split())
        for stack in spec.stacks:
            for row in stack.rows:
                for box in row:
                    assert box.label in words, f"{spec.id}: {box.label!r} missing"
        bottom = drawing.splitlines()[-1]
        assert bottom.count("└") == len(spec.stacks), f"{spec.id}: stacks not bottom-aligned"


def test_long_labels_wrap_and_overlong_words_end_in_an_ellipsis() -> None:
    drawing = render_diagram_text(CROWDED)
    assert "VirtualBox /" in drawing and "Workstation" in drawing  # wrapped, not cut
    assert "Supercalifrag" in drawing and "…" in drawing  # one word wider than its cell


def test_wrap_label() -> None:
    assert wrap_label("Host OS", 10) == ["Host OS"]
    assert wrap_label("Physical machine", 10) == ["Physical", "machine"]
    assert wrap_label("Virtualization", 8) == ["Virtual…"]
    assert wrap_label("a b c d e f g h", 3, most=2) == ["a b", "c…"]
    for width in range(2, 20):
        assert all(len(line) <= width for line in wrap_label("Hypervisor (ESXi, KVM)", width))


# --- PNG --------------------------------------------------------------------


def test_every_png_opens_has_the_expected_size_and_stays_small(answers: Answers) -> None:
    for spec in all_specs(answers):
        png = render_diagram_png(spec)
        assert len(png) < MAX_PNG_BYTES, f"{spec.id}: {len(png)} bytes"
        with Image.open(io.BytesIO(png)) as image:
            image.verify()
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG"
            width, height = image.size
        assert width == WIDTH
        assert 400 <= height <= 1600, f"{spec.id}: height {height}"


def _colours(png: bytes) -> set[tuple[int, int, int]]:
    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
        return {colour for _, colour in rgb.getcolors(maxcolors=1 << 16) or []}


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def test_each_layer_kind_in_a_diagram_is_drawn_in_its_own_colour(answers: Answers) -> None:
    fills = [palette.fill for palette in PALETTE.values()]
    assert len(set(fills)) == len(fills)
    spec = answers.knowledge.diagrams["container-vs-vm"]
    present = _colours(render_diagram_png(spec))
    kinds = {box.kind for stack in spec.stacks for row in stack.rows for box in row}
    for kind in kinds:
        target = _hex(PALETTE[kind].fill)
        nearest = min(sum(abs(a - b) for a, b in zip(c, target, strict=True)) for c in present)
        assert nearest <= 12, f"{kind}: fill colour missing from the PNG"


def test_png_is_drawn_once_and_then_cached(answers: Answers) -> None:
    spec = answers.knowledge.diagrams["os-layers"]
    assert render_diagram_png(spec) is render_diagram_png(spec)
    edited = spec.model_copy(update={"title": "A different title"})
    assert render_diagram_png(edited) != render_diagram_png(spec)


def test_png_draws_with_pillows_own_font_when_the_system_has_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fresh machine with only PyPI packages has no DejaVu: Pillow's bundled font is used."""
    monkeypatch.setattr(images, "FONT_DIRS", ())
    images.font.cache_clear()
    try:
        face = images.font(30)
        assert face.getname()[0] != "DejaVu Sans"
        image = images.draw_diagram(CROWDED)
        assert image.size[0] == WIDTH
    finally:
        monkeypatch.undo()
        images.font.cache_clear()


# --- CLI --------------------------------------------------------------------


def test_cli_lists_prints_and_writes_diagrams(
    answers: Answers, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    knowledge = ["--knowledge", str(KNOWLEDGE)]
    assert main([*knowledge, "diagram", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in answers.knowledge.diagrams)

    assert main([*knowledge, "diagram", "container-vs-vm"]) == 0
    printed = capsys.readouterr().out
    assert "Hypervisor" in printed and "┌" in printed

    target = tmp_path / "diagram.png"
    assert main([*knowledge, "diagram", "container-vs-vm", "--png", str(target)]) == 0
    assert target.read_bytes() == render_diagram_png(answers.knowledge.diagrams["container-vs-vm"])

    assert main([*knowledge, "diagram", "no-such-diagram"]) == 1
    assert "--list" in capsys.readouterr().err
