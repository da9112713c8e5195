"""Plain-text rendering of a `Reply`: for the CLI, `--json` output and Slack's `text` fallback."""

from __future__ import annotations

from bot.core.models import Band, Reply
from bot.render.diagrams import render_diagram_text
from bot.render.markdown import to_plain


def render_text(reply: Reply, *, diagram_as_alt: bool = False) -> str:
    """The whole reply as plain text: answer, comparison, diagram and where to go next.
    `diagram_as_alt`: the diagram as its title and alt text rather than drawn."""
    parts: list[str] = []
    if reply.title:
        parts.append(reply.title)
    parts.append(to_plain(reply.answer))
    if reply.band is Band.SUGGEST:
        parts.append("\n".join(f"• {link.title}" for link in reply.suggestions))
    if reply.comparison:
        rows = [
            f"{row.aspect}\n  VM:        {row.vm}\n  Container: {row.container}"
            for row in reply.comparison
        ]
        parts.append("VM vs container\n" + "\n".join(rows))
    if reply.diagram and diagram_as_alt:
        parts.append(f"{reply.diagram.title}: {reply.diagram.alt}")
    elif reply.diagram:
        parts.append(render_diagram_text(reply.diagram))
    if reply.related:
        parts.append("Related: " + ", ".join(link.title for link in reply.related))
    if reply.verified:
        by = f" by {reply.owner}" if reply.owner else ""
        due = f"; due for review since {reply.review_due}" if reply.review_due else ""
        parts.append(f"Verified {reply.verified}{by}{due}")
    return "\n\n".join(parts)
