"""The `vmdocker` command line: argument parsing only; the work happens in the modules it calls.

A plain question needs only the core and the text renderer: the store (SQLAlchemy), the PNG
renderer (Pillow) and Slack (Bolt) are imported by the commands that use them, so `vmdocker ask`
starts fast."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.config import (
    HTTP_MODE_SETTINGS,
    SOCKET_MODE_SETTINGS,
    Settings,
    SettingsError,
    load_settings,
    require,
)
from bot.core.answers import Answers
from bot.core.knowledge import KnowledgeError, load_knowledge
from bot.core.models import Band, Reply
from bot.logs import configure_logging
from bot.render.answers import render_attachments, render_blocks
from bot.render.diagrams import render_diagram_text
from bot.render.text import render_text

log = logging.getLogger("vmdocker")

EXIT_FAILED = 1
EXIT_CONFIG = 2


def reply_json(reply: Reply) -> dict[str, Any]:
    """The `ask --json` contract: one flat object other tools can rely on."""
    return {
        "matched": reply.band is Band.ANSWER,
        "band": reply.band.value,
        "entry_id": reply.entry_id,
        "title": reply.title,
        "score": round(reply.score, 1),
        "text": render_text(reply),
        "suggestions": [
            {"id": link.id, "title": link.title, "score": link.score} for link in reply.suggestions
        ],
        "question": reply.question,
        "why": reply.why,
    }


def _questions_from_stdin() -> Iterable[str]:
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")  # binary input must not crash the loop
    for line in sys.stdin:
        yield line.rstrip("\r\n")


def cmd_ask(args: argparse.Namespace, answers: Answers) -> int:
    questions = [args.question] if args.question is not None else _questions_from_stdin()
    for question in questions:
        reply = answers.reply_to(question)
        if args.blocks:
            # The message as Block Kit Builder takes it: the table travels in `attachments`.
            payload = {"blocks": render_blocks(reply), "attachments": render_attachments(reply)}
            print(json.dumps(payload, ensure_ascii=False, indent=2), flush=True)
        elif args.json:
            print(json.dumps(reply_json(reply), ensure_ascii=False), flush=True)
        else:
            print(render_text(reply), flush=True)
            if args.question is None:
                print("\n" + "─" * 40 + "\n", flush=True)
    return 0


def cmd_list(args: argparse.Namespace, answers: Answers) -> int:
    items = []
    for entry in answers.knowledge.entries.values():
        reply = answers.reply_for_entry(entry.id)
        assert reply is not None
        items.append(
            {
                "id": entry.id,
                "title": entry.title,
                "questions": entry.questions,
                "tags": entry.tags,
                "sources": entry.sources,
                "text": render_text(reply),
            }
        )
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        for item in items:
            print(f"{item['id']:32} {item['title']}")
    return 0


def cmd_check(args: argparse.Namespace, answers: Answers) -> int:
    failures = answers.routing_failures()
    for failure in failures:
        print(failure)
    entries = answers.knowledge.entries.values()
    total = sum(len(entry.questions) for entry in entries)
    print(
        f"{len(answers.knowledge.entries)} entries, {total} example questions, "
        f"{len(answers.knowledge.diagrams)} diagrams: "
        + ("all route to their own entry" if not failures else f"{len(failures)} misrouted")
    )
    tour = answers.knowledge.tour
    print(
        (f"tour: {len(tour.steps)} steps" if tour else "tour: none")
        + f", quiz: {len(answers.knowledge.quiz)} questions (all valid)"
    )
    return EXIT_FAILED if failures else 0


def cmd_run(args: argparse.Namespace, answers: Answers) -> int:
    """Socket Mode when both Slack tokens are set, otherwise the offline console."""
    settings: Settings = args.settings
    if not settings.slack_bot_token:
        return cmd_console(args, answers)
    from bot.slack.socket_mode import run_socket_mode

    try:
        with contextlib.suppress(KeyboardInterrupt):
            run_socket_mode(settings, answers)
    except SettingsError as error:  # found only on starting: HEALTH_PORT taken
        print(f"vmdocker: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """HTTP mode: uvicorn workers serving POST /slack/events and GET /healthz."""
    from bot.slack.server import serve

    serve(args.settings, host=args.host, port=args.port, workers=args.workers)
    return 0


def cmd_diagram(args: argparse.Namespace, answers: Answers) -> int:
    """List diagram specs, print one as text, or write it as PNG: a preview for authors."""
    diagrams = answers.knowledge.diagrams
    if args.list or args.name is None:
        for listed in diagrams.values():
            print(f"{listed.id:32} {listed.title}")
        return 0
    spec = diagrams.get(args.name)
    if spec is None:
        print(f"vmdocker: no diagram {args.name!r}; try `vmdocker diagram --list`", file=sys.stderr)
        return EXIT_FAILED
    if args.png is None:
        print(render_diagram_text(spec))
        return 0
    from bot.render.images import render_diagram_png

    png = render_diagram_png(spec)
    args.png.write_bytes(png)
    print(f"wrote {args.png} ({len(png):,} bytes)")
    return 0


def _since(text: str) -> timedelta:
    from bot.core.insights import parse_since

    try:
        return parse_since(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def cmd_report(args: argparse.Namespace, answers: Answers) -> int:
    """Insights for authors: answer rate, unanswered questions grouped, most 👎 entries."""
    from bot.core.insights import MAX_MISSES, compute_insights, window_start
    from bot.render.report import insights_json, render_misses, render_report
    from bot.store.database import Store, StoreError, describe_url

    settings: Settings = args.settings
    try:
        store = Store.from_url(
            settings.database_url, store_question_text=settings.store_question_text
        )
        try:
            usage = store.usage(since=window_start(args.since), limit=MAX_MISSES)
        finally:
            store.close()
    except StoreError as error:
        where = describe_url(settings.database_url)
        print(f"vmdocker: cannot read the store at {where}: {error}", file=sys.stderr)
        return EXIT_FAILED
    insights = compute_insights(
        usage,
        answers.matcher.normalizer.tokenize,
        titles={entry.id: entry.title for entry in answers.knowledge.entries.values()},
        max_groups=None if args.misses else 10,
    )
    if args.misses:

        def closest(question: str) -> tuple[str, float] | None:
            match = answers.match(question)
            return (match.entry.id, match.score) if match.entry else None

        print(render_misses(insights, closest))
    elif args.json:
        print(json.dumps(insights_json(insights), ensure_ascii=False, indent=2))
    else:
        print(render_report(insights))
    return 0


def cmd_console(args: argparse.Namespace, answers: Answers) -> int:
    """Offline console: type a question, read the reply."""
    print("vmdocker console: ask about VMs and Docker (Ctrl-D to quit).")
    print(
        "To connect to Slack, create the app from manifest.yaml, then set SLACK_BOT_TOKEN (xoxb-)"
        " and SLACK_APP_TOKEN (xapp-) in .env and run again (README: Connect to Slack)."
    )
    while True:
        try:
            question = input("\n? ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        print("\n" + render_text(answers.reply_to(question)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vmdocker", description="Explain virtual machines vs Docker containers."
    )
    parser.add_argument(
        "--knowledge",
        type=Path,
        metavar="DIR",
        help="knowledge folder (default: $VMDOCKER_KNOWLEDGE_DIR or ./knowledge)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    ask = commands.add_parser("ask", help="answer a question (or one per stdin line)")
    ask.add_argument("question", nargs="?", help="the question; omit to read stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument(
        "--blocks", action="store_true", help="the Block Kit JSON, for Slack's Block Kit Builder"
    )
    ask.set_defaults(handler=cmd_ask)

    listing = commands.add_parser("list", help="list every knowledge entry")
    listing.add_argument("--json", action="store_true", help="as a JSON array")
    listing.set_defaults(handler=cmd_list)

    diagram = commands.add_parser("diagram", help="preview a diagram as text or PNG")
    diagram.add_argument("name", nargs="?", help="the diagram id (see --list)")
    diagram.add_argument("--list", action="store_true", help="list the diagram ids")
    diagram.add_argument("--png", type=Path, metavar="FILE", help="write the PNG to FILE")
    diagram.set_defaults(handler=cmd_diagram)

    report = commands.add_parser("report", help="what people asked: answer rate, misses, 👎")
    report.add_argument(
        "--since",
        type=_since,
        default=timedelta(days=7),
        metavar="SPAN",
        help="24h, 7d (default), 2w",
    )
    shape = report.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="as one JSON object")
    shape.add_argument(
        "--misses", action="store_true", help="every unanswered question, grouped, as YAML lists"
    )
    report.set_defaults(handler=cmd_report)

    check = commands.add_parser("check", help="validate the knowledge base and its routing")
    check.set_defaults(handler=cmd_check)

    run = commands.add_parser(
        "run", help="start the bot in Socket Mode (offline console without Slack tokens)"
    )
    run.set_defaults(handler=cmd_run)

    http = commands.add_parser("serve", help="serve Slack over HTTP (POST /slack/events)")
    http.add_argument("--port", type=_port, default=3000, help="TCP port (default 3000)")
    http.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    http.add_argument(
        "--workers", type=_positive, default=1, metavar="W", help="worker processes (default 1)"
    )
    http.set_defaults(handler=cmd_serve)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, not {value}")
    return value


def _require_mode(args: argparse.Namespace, settings: Settings) -> None:
    """The Slack settings the chosen mode cannot start without."""
    if args.command == "serve":
        require(settings, HTTP_MODE_SETTINGS, "for `vmdocker serve` (HTTP mode)")
    elif args.command == "run" and (settings.slack_bot_token or settings.slack_app_token):
        require(settings, SOCKET_MODE_SETTINGS, "for Socket Mode (`vmdocker run`)")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if args.knowledge is not None:
        overrides["VMDOCKER_KNOWLEDGE_DIR"] = args.knowledge
    return load_settings(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `vmdocker` console script and `python -m bot`."""
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
        _require_mode(args, settings)
    except SettingsError as error:
        print(f"vmdocker: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings)
    answers: Answers | None = None
    try:
        if args.handler is cmd_serve:
            # Its workers load the knowledge for themselves: here it is only checked, without
            # building a matcher this process never uses (a third of a second on the way to
            # ready, most of it importing wordfreq).
            load_knowledge(settings.knowledge_dir)
        else:
            answers = Answers.load(
                settings.knowledge_dir,
                answer_threshold=settings.match_answer_threshold,
                suggest_threshold=settings.match_suggest_threshold,
            )
    except KnowledgeError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(
            f"vmdocker: the knowledge base in {settings.knowledge_dir} has "
            f"{len(error.problems)} problem(s); nothing was loaded.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    args.settings = settings  # run and serve hand them on to Slack
    try:
        return cmd_serve(args) if answers is None else int(args.handler(args, answers))
    except BrokenPipeError:
        return 0
