"""Draw the README's pictures: two diagram PNGs and a Slack-like mock-up of a real reply.

    .venv/bin/python docs/render_previews.py

The mock-up is drawn from the exact message `answer_message` builds for a real question on the
thread surface: its blocks, then its attachment (the comparison table, which Slack shows under
the blocks), then the diagram's PNG as the file shared right after the card in the same thread.
It is laid out roughly the way Slack's desktop client shows them: an illustration, not a
screenshot of Slack.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from bot.core.answers import Answers
from bot.render.answers import answer_message
from bot.render.blocks import BlockMessage
from bot.render.images import font, render_diagram_png

ROOT = Path(__file__).resolve().parent.parent

OUT = ROOT / "docs" / "img"
QUESTION = "what's the difference between a VM and a Docker container?"
DIAGRAMS = ("container-vs-vm", "docker-desktop")

WIDTH = 1000
LEFT = 92  # message body starts right of the avatar
RIGHT = 40
INK = "#1d1c1d"
GREY = "#616061"
LINK = "#1264a3"
RULE = "#dddddd"
CODE_BG = "#f8f8f8"
BODY = 22

Block = dict[str, Any]
NO_EMOJI = str.maketrans({"👍": "▲", "👎": "▼"})  # DejaVu has no emoji: arrows stand in
_TOKEN = re.compile(r"(<[^|>]+\|[^>]+>|\*[^*\n]+\*|_[^_\n]+_|\S+|\n)")


def _words(mrkdwn: str) -> list[tuple[str, str]]:
    """mrkdwn as (word, style) pairs: style is "", "bold", "italic" or "link"; "\\n" breaks."""
    words: list[tuple[str, str]] = []
    for token in _TOKEN.findall(mrkdwn):
        if token == "\n":
            words.append(("\n", ""))
        elif token.startswith("<") and "|" in token:
            words.extend((w, "link") for w in token[1:-1].split("|", 1)[1].split())
        elif token.startswith("*") and token.endswith("*") and len(token) > 2:
            words.extend((w, "bold") for w in token[1:-1].split())
        elif token.startswith("_") and token.endswith("_") and len(token) > 2:
            words.extend((w, "italic") for w in token[1:-1].split())
        elif words and words[-1][0] != "\n" and re.fullmatch(r"[,.;:!?)]+", token):
            words[-1] = (words[-1][0] + token, words[-1][1])
        else:
            words.append((token, ""))
    return [(html.unescape(word), style) for word, style in words]


class Canvas:
    """A tall scratch image the blocks are drawn onto top to bottom, cropped at the end."""

    def __init__(self) -> None:
        self.image = Image.new("RGB", (WIDTH, 4000), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.y = 28

    def text(self, mrkdwn: str, size: int = BODY, colour: str = INK, left: int = LEFT) -> None:
        x, line_height = left, int(size * 1.45)
        for word, style in _words(mrkdwn):
            if word == "\n":
                x, self.y = left, self.y + line_height
                continue
            face = font(size, bold=style == "bold")
            width = self.draw.textlength(word + " ", font=face)
            if x + width > WIDTH - RIGHT and x > left:
                x, self.y = left, self.y + line_height
            fill = LINK if style == "link" else colour
            self.draw.text((x, self.y), word, font=face, fill=fill)
            x += int(width)
        self.y += line_height + 10

    def code(self, text: str) -> None:
        face = font(17, bold=False)
        mono = _mono(17)
        lines = html.unescape(text).strip("`\n").splitlines()
        height = len(lines) * 22 + 24
        self.draw.rounded_rectangle(
            (LEFT, self.y, WIDTH - RIGHT, self.y + height), 6, fill=CODE_BG, outline=RULE
        )
        for index, line in enumerate(lines):
            self.draw.text((LEFT + 12, self.y + 12 + index * 22), line, font=mono or face, fill=INK)
        self.y += height + 14

    def table(self, block: Block, left: int = LEFT) -> None:
        columns = len(block["rows"][0])
        widths = [210, *([(WIDTH - RIGHT - left - 210) // (columns - 1)] * (columns - 1))]
        face, bold = font(19, bold=False), font(19)
        top = self.y
        for row in block["rows"]:
            cells = []
            for cell, width in zip(row, widths, strict=True):
                runs = cell["elements"][0]["elements"] if cell["type"] == "rich_text" else [cell]
                text = "".join(run["text"] for run in runs)
                is_bold = any(run.get("style", {}).get("bold") for run in runs)
                cells.append(
                    (_wrap(self.draw, text, bold if is_bold else face, width - 20), is_bold)
                )
            height = max(len(lines) for lines, _ in cells) * 25 + 16
            x = left
            for (lines, is_bold), width in zip(cells, widths, strict=True):
                for index, line in enumerate(lines):
                    self.draw.text(
                        (x + 10, self.y + 8 + index * 25),
                        line,
                        font=bold if is_bold else face,
                        fill=INK,
                    )
                x += width
            self.y += height
            self.draw.line((left, self.y, WIDTH - RIGHT, self.y), fill=RULE)
        self.draw.rectangle((left, top, WIDTH - RIGHT, self.y), outline="#c7c7c7", width=2)
        x = left
        for width in widths[:-1]:
            x += width
            self.draw.line((x, top, x, self.y), fill=RULE)
        self.y += 18

    def attachment(self, blocks: list[Block]) -> None:
        """An attachment's blocks (here the table), indented beside Slack's grey bar."""
        top = self.y
        for block in blocks:
            if block["type"] == "table":
                self.table(block, left=LEFT + 18)
        self.draw.rounded_rectangle((LEFT, top, LEFT + 4, self.y - 18), 2, fill="#dddddd")

    def picture(self, png: bytes, title: str) -> None:
        self.draw.text((LEFT, self.y), title + "  ▾", font=font(17, bold=False), fill=GREY)
        self.y += 28
        with Image.open(io.BytesIO(png)) as source:
            width = 560
            scaled = source.convert("RGB").resize(
                (width, round(source.height * width / source.width)), Image.Resampling.LANCZOS
            )
        self.image.paste(scaled, (LEFT, self.y))
        self.draw.rounded_rectangle(
            (LEFT, self.y, LEFT + scaled.width, self.y + scaled.height), 8, outline=RULE, width=2
        )
        self.y += scaled.height + 16

    def buttons(self, block: Block) -> None:
        x, face = LEFT, font(18)
        for element in block["elements"]:
            label = html.unescape(element["text"]["text"]).translate(NO_EMOJI)
            width = int(self.draw.textlength(label, font=face)) + 32
            if x + width > WIDTH - RIGHT:
                x, self.y = LEFT, self.y + 52
            primary = element.get("style") == "primary"
            self.draw.rounded_rectangle(
                (x, self.y, x + width, self.y + 40),
                6,
                fill="#007a5a" if primary else "white",
                outline="#007a5a" if primary else "#bbbbbb",
                width=2,
            )
            colour = "white" if primary else INK
            self.draw.text((x + width / 2, self.y + 20), label, font=face, fill=colour, anchor="mm")
            x += width + 10
        self.y += 56

    def crop(self) -> Image.Image:
        return self.image.crop((0, 0, WIDTH, self.y + 16))


def _mono(size: int) -> Any:
    for folder in (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")):
        path = folder / "DejaVuSansMono.ttf"
        if path.is_file():
            from PIL import ImageFont

            return ImageFont.truetype(str(path), size)
    return None


def _wrap(draw: ImageDraw.ImageDraw, text: str, face: Any, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=face) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


def draw_reply(message: BlockMessage, png: bytes, title: str) -> Image.Image:
    """A Slack-like rendering of `message` posted by the bot in reply to `QUESTION`, followed
    by the diagram's PNG shared in the same thread."""
    canvas = Canvas()
    for author, avatar, body in (("Pat", "#e8912d", QUESTION), ("vmdocker", "#4a154b", None)):
        canvas.draw.rounded_rectangle((24, canvas.y, 72, canvas.y + 48), 8, fill=avatar)
        canvas.draw.text(
            (48, canvas.y + 24), author[0].upper(), font=font(24), fill="white", anchor="mm"
        )
        canvas.draw.text((LEFT, canvas.y - 2), author, font=font(21), fill=INK)
        name_width = canvas.draw.textlength(author, font=font(21))
        if body is None:
            canvas.draw.rounded_rectangle(
                (LEFT + name_width + 8, canvas.y + 2, LEFT + name_width + 50, canvas.y + 22),
                3,
                fill="#e8e8e8",
            )
            canvas.draw.text(
                (LEFT + name_width + 29, canvas.y + 12),
                "APP",
                font=font(13),
                fill=GREY,
                anchor="mm",
            )
        canvas.y += 32
        if body:
            canvas.text(body)
            canvas.y += 12
    for block in message.blocks:
        kind = block["type"]
        if kind == "header":
            canvas.text(f"*{block['text']['text']}*", size=28)
        elif kind == "section" and block["text"]["text"].startswith("```"):
            canvas.code(block["text"]["text"])
        elif kind == "section":
            for paragraph in block["text"]["text"].split("\n\n"):
                canvas.text(paragraph)
        elif kind == "context":
            canvas.text(block["elements"][0]["text"], size=17, colour=GREY)
        elif kind == "actions":
            canvas.buttons(block)
    for attachment in message.attachments:
        canvas.attachment(attachment["blocks"])
    canvas.y += 8
    canvas.picture(png, title)  # the file share, right under the card from the same bot
    return canvas.crop()


def main() -> None:
    answers = Answers.load(ROOT / "knowledge")
    OUT.mkdir(parents=True, exist_ok=True)
    for name in DIAGRAMS:
        spec = answers.knowledge.diagrams[name]
        (OUT / f"diagram-{name}.png").write_bytes(render_diagram_png(spec))
    reply = answers.reply_to(QUESTION)
    assert reply.diagram is not None, "the README question must have a diagram"
    message = answer_message(reply, surface="thread", diagram_as_file=True)
    picture = draw_reply(message, render_diagram_png(reply.diagram), reply.diagram.title)
    picture.quantize(colors=128).save(OUT / "reply-preview.png", optimize=True)
    for path in sorted(OUT.glob("*.png")):
        with Image.open(path) as image:
            size = f"{image.width}x{image.height}, {path.stat().st_size:,} bytes"
            print(f"{path.relative_to(ROOT)}: {size}")


if __name__ == "__main__":
    main()
