"""The `vmdocker` command line: argument parsing only; the work happens in the modules it calls.

A plain question needs only the core and the text renderer: the store (SQLAlchemy), the PNG
renderer (Pillow), Slack (Bolt) and the Block Kit builders are imported by the commands and
options that use them, so `vmdocker ask` starts fast; and `vmdocker serve`, which answers
nothing itself, imports no matcher (numpy)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import (
    HTTP_MODE_SETTINGS,
    OAUTH_MODE_SETTINGS,
    SOCKET_MODE_SETTINGS,
    Settings,
    SettingsError,
    load_settings,
    require,
)
from bot.core.knowledge import KnowledgeError, load_knowledge
from bot.core.models import Band, Reply
from bot.logs import configure_logging
from bot.render.diagrams import render_diagram_text
from bot.render.text import render_text

if TYPE_CHECKING:
    from bot.core.answers import Answers
    from bot.store.database import Store
    from bot.store.records import DraftEntry

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


def taught_wordings(settings: Settings) -> dict[str, list[str]]:
    """The wordings editors taught (DATABASE_URL), by entry id, as the bot answers with them;
    none when there is no database or it cannot be read (said on stderr). Read only: the schema
    is neither created nor upgraded for a look, and a SQLite file is read without SQLAlchemy."""
    from bot.core.learned import taught_by_entry
    from bot.store.errors import StoreError
    from bot.store.peek import nothing_kept, sqlite_file, taught_in_file

    if nothing_kept(settings.database_url):
        return {}
    path = sqlite_file(settings.database_url)
    try:
        if path is not None:
            return taught_by_entry(taught_in_file(path))
        from bot.store.database import Store

        store = Store.from_url(settings.database_url, read_only=True)
        try:
            return taught_by_entry(store.learned())
        finally:
            store.close()
    except StoreError as error:
        from bot.store.database import describe_url

        where = describe_url(settings.database_url)
        print(f"vmdocker: not using taught wordings, {where}: {error}", file=sys.stderr)
        return {}


def cmd_ask(args: argparse.Namespace, answers: Answers) -> int:
    """Answer the question, or each line of stdin, with the taught wordings (`main` loads them)."""
    questions = [args.question] if args.question is not None else _questions_from_stdin()
    for question in questions:
        reply = answers.reply_to(question)
        if args.blocks:
            from bot.render.answers import render_attachments, render_blocks

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


def cmd_stale(answers: Answers) -> int:
    """Entries past their review date, one line each, the longest overdue first."""
    from bot.core.answers import today_utc
    from bot.core.reviews import stale_entries

    stale = stale_entries(answers.knowledge, today_utc())
    for entry in stale:
        owner = entry.owner or "no owner"
        print(
            f"{entry.source}: {entry.id}: due for review since {entry.review_due} "
            f"(verified {entry.verified}, {owner})"
        )
    print(f"{len(stale)} entries due for review")
    return 0


def cmd_check(args: argparse.Namespace, answers: Answers) -> int:
    if args.stale:
        return cmd_stale(answers)
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


def _open_store(settings: Settings) -> Store | None:
    """The store at DATABASE_URL, or None after saying on stderr why it cannot be opened."""
    from bot.store.database import Store, describe_url
    from bot.store.errors import StoreError

    try:
        return Store.from_url(settings.database_url)
    except StoreError as error:
        where = describe_url(settings.database_url)
        print(f"vmdocker: cannot open the store at {where}: {error}", file=sys.stderr)
        return None


def cmd_teach(args: argparse.Namespace, answers: Answers) -> int:
    """Teach a wording as an example question of an entry, as an editor does in Slack."""
    from bot.core.text import clean_question

    question = clean_question(args.question)
    if not question:
        print("vmdocker: the question is empty", file=sys.stderr)
        return EXIT_FAILED
    entry = answers.entry(args.entry_id)
    if entry is None:
        print(f"vmdocker: no entry {args.entry_id!r}; see `vmdocker list`", file=sys.stderr)
        return EXIT_FAILED
    store = _open_store(args.settings)
    if store is None:
        return EXIT_FAILED
    try:
        store.learn(team_id=args.team, question=question, entry_id=entry.id, taught_by="cli")
    finally:
        store.close()
    routed = answers.with_learned({entry.id: [question]}).routes_to(question)
    print(f"taught: “{question}” -> {entry.id}")
    if routed != entry.id:
        print(
            f"vmdocker: warning: the self-check routes it to {routed or 'no entry'}, "
            f"not {entry.id}: add keywords or teach a clearer wording",
            file=sys.stderr,
        )
    return 0


def cmd_learned(args: argparse.Namespace, answers: Answers) -> int:
    """What editors taught; `--export` writes it into the knowledge files."""
    store = _open_store(args.settings)
    if store is None:
        return EXIT_FAILED
    try:
        if args.export:
            return export_learned(store, args.settings)
        rows = store.learned()
    finally:
        store.close()
    if args.json:
        print(json.dumps([row.model_dump(mode="json") for row in rows], ensure_ascii=False))
        return 0
    for row in rows:
        exported = f"exported {row.exported_at:%Y-%m-%d}" if row.exported_at else "not exported"
        target = row.entry_id or "(out of scope)"
        print(f"{row.id:>4}  {target:28} {row.question}  [{row.taught_by}, {exported}]")
    print(f"{len(rows)} taught wording(s)")
    return 0


def export_learned(store: Store, settings: Settings) -> int:
    """Write each taught wording not yet exported into its entry's `questions:`, keep the
    files only if the knowledge then loads and every example question routes home, and mark
    the wordings written as exported. Wordings that would route elsewhere are left out."""
    from bot.core.answers import Answers
    from bot.core.knowledge import load_knowledge
    from bot.core.learned import ExportError, add_questions, taught_by_entry

    answers = Answers.load(
        settings.knowledge_dir,
        answer_threshold=settings.match_answer_threshold,
        suggest_threshold=settings.match_suggest_threshold,
    )
    pending = [r for r in store.learned() if r.entry_id is not None and r.exported_at is None]
    unknown = [r for r in pending if answers.entry(r.entry_id or "") is None]
    for row in unknown:
        print(f"skipped: “{row.question}”: entry {row.entry_id} is not in the knowledge")
    pending = [row for row in pending if row not in unknown]
    candidate = answers.with_learned(taught_by_entry(pending))
    routed = [row for row in pending if candidate.routes_to(row.question) == row.entry_id]
    for row in pending:
        if row not in routed:
            got = candidate.routes_to(row.question) or "no entry"
            print(f"skipped: “{row.question}” -> {row.entry_id}: it would route to {got}")
    originals: dict[Path, str] = {}
    try:
        for entry_id, questions in taught_by_entry(routed).items():
            entry = answers.knowledge.entries[entry_id]
            known = {question.casefold() for question in entry.questions}
            new = list(dict.fromkeys(q for q in questions if q.casefold() not in known))
            if new:
                originals[entry.source] = entry.source.read_text(encoding="utf-8")
                entry.source.write_text(add_questions(originals[entry.source], new), "utf-8")
        failures = Answers.load(settings.knowledge_dir).routing_failures()
        load_knowledge(settings.knowledge_dir)
    except (ExportError, KnowledgeError) as error:
        failures = [str(error)]
    if failures:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
        for failure in failures:
            print(failure, file=sys.stderr)
        print(
            "vmdocker: export undone: the knowledge would not pass `vmdocker check`",
            file=sys.stderr,
        )
        return EXIT_FAILED
    store.mark_exported([row.id for row in routed])
    print(
        f"exported {len(routed)} wording(s) into {len(originals)} file(s); "
        "review them with `git diff knowledge/`, run `vmdocker check`, and commit"
    )
    return 0


def cmd_drafts(args: argparse.Namespace, answers: Answers) -> int:
    """Answers saved from Slack: listed, or written as entry files into a folder."""
    store = _open_store(args.settings)
    if store is None:
        return EXIT_FAILED
    try:
        drafts = store.drafts(pending_only=True)
        if args.export is None:
            if args.json:
                print(json.dumps([d.model_dump(mode="json") for d in drafts], ensure_ascii=False))
            else:
                for draft in drafts:
                    saved = f"{draft.saved_by}, {draft.saved_at:%Y-%m-%d}"
                    print(f"{draft.id:>4}  {draft.title}  [{saved}]")
                print(f"{len(drafts)} draft(s) waiting to be exported")
            return 0
        written = export_drafts(drafts, args.export, answers)
        store.mark_drafts_exported(written)
    finally:
        store.close()
    print(
        f"exported {len(written)} draft(s) into {args.export}; add example questions and "
        "sources, run `vmdocker check`, and commit"
    )
    return 0


def export_drafts(drafts: list[DraftEntry], folder: Path, answers: Answers) -> list[int]:
    """Write each draft as `<id>.md` in `folder`, its id unique among the knowledge's entries
    and the files there; the ids of the drafts written."""
    from pydantic import ValidationError

    from bot.core.drafts import draft_entry_text, unique_id

    folder.mkdir(parents=True, exist_ok=True)
    taken = set(answers.knowledge.entries) | {path.stem for path in folder.glob("*.md")}
    written = []
    for draft in drafts:
        entry_id = unique_id(draft.title, taken)
        try:
            text = draft_entry_text(draft, entry_id, answers.knowledge.entries)
        except ValidationError as error:
            print(f"skipped draft {draft.id} “{draft.title}”: {error.errors()[0]['msg']}")
            continue
        (folder / f"{entry_id}.md").write_text(text, encoding="utf-8")
        taken.add(entry_id)
        written.append(draft.id)
        print(f"wrote {folder / f'{entry_id}.md'}")
    return written


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
    from bot.slack.launch import serve

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
    from bot.store.database import Store, describe_url
    from bot.store.errors import StoreError

    settings: Settings = args.settings
    try:
        store = Store.from_url(
            settings.database_url, store_question_text=settings.store_question_text
        )
        try:
            usage = store.usage(since=window_start(args.since), limit=MAX_MISSES, team_id=args.team)
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
    report.add_argument(
        "--team",
        default="",
        metavar="ID",
        help="the workspace (T…), or org (E…) of an org-wide install, when installed through "
        "OAuth; default: the SLACK_BOT_TOKEN workspace",
    )
    shape = report.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="as one JSON object")
    shape.add_argument(
        "--misses", action="store_true", help="every unanswered question, grouped, as YAML lists"
    )
    report.set_defaults(handler=cmd_report)

    check = commands.add_parser("check", help="validate the knowledge base and its routing")
    check.add_argument(
        "--stale", action="store_true", help="list the entries past their review date instead"
    )
    check.set_defaults(handler=cmd_check)

    teach = commands.add_parser("teach", help="teach a wording as an example question of an entry")
    teach.add_argument("question", help="the wording people use")
    teach.add_argument("entry_id", metavar="ENTRY_ID", help="the entry that answers it")
    teach.add_argument("--team", default="", help="the Slack team id to record (optional)")
    teach.set_defaults(handler=cmd_teach)

    learned = commands.add_parser("learned", help="list what editors taught, or export it")
    learned_shape = learned.add_mutually_exclusive_group()
    learned_shape.add_argument("--json", action="store_true", help="as a JSON array")
    learned_shape.add_argument(
        "--export",
        action="store_true",
        help="write the wordings into their entries' questions: in the knowledge folder",
    )
    learned.set_defaults(handler=cmd_learned)

    drafts = commands.add_parser("drafts", help="list answers saved from Slack, or export them")
    drafts_shape = drafts.add_mutually_exclusive_group()
    drafts_shape.add_argument("--json", action="store_true", help="as a JSON array")
    drafts_shape.add_argument(
        "--export", type=Path, metavar="DIR", help="write each as an entry file into DIR"
    )
    drafts.set_defaults(handler=cmd_drafts)

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
    if args.command == "serve" and settings.installs_through_oauth:
        require(settings, OAUTH_MODE_SETTINGS, "for installs through OAuth (`vmdocker serve`)")
    elif args.command == "serve":
        require(settings, HTTP_MODE_SETTINGS, "for `vmdocker serve` (HTTP mode)")
    elif args.command == "run" and settings.installs_through_oauth:
        raise SettingsError(
            "SLACK_CLIENT_ID: installs through OAuth need `vmdocker serve` (HTTP); Socket Mode "
            "serves the one workspace of SLACK_BOT_TOKEN"
        )
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
            from bot.core.prepared import prepared_answers  # numpy and rapidfuzz: not for serve

            answers = prepared_answers(
                settings.knowledge_dir,
                answer_threshold=settings.match_answer_threshold,
                suggest_threshold=settings.match_suggest_threshold,
                taught=taught_wordings(settings) if args.handler is cmd_ask else None,
                cache_dir=settings.cache_dir,
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
