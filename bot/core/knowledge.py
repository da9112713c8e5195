"""Load `knowledge/` into a `KnowledgeBase`: all of it valid, or a `KnowledgeError` naming all."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.core.models import (
    ComparisonRow,
    DiagramSpec,
    Entry,
    EntryFrontMatter,
    KnowledgeBase,
    MatrixRow,
    QuizQuestion,
    Scope,
    Tour,
    Vocabulary,
)

ENTRIES_DIR = "entries"
MATRIX_FILE = "comparison.yaml"
DIAGRAMS_FILE = "diagrams.yaml"
TOUR_FILE = "tour.yaml"
QUIZ_FILE = "quiz.yaml"
VOCABULARY_FILE = "vocabulary.yaml"
SCOPE_FILE = "scope.yaml"


M = TypeVar("M", bound=BaseModel)
Shared = TypeVar("Shared", MatrixRow, DiagramSpec)


class KnowledgeError(Exception):
    """The knowledge folder is broken; `problems` lists each one as 'file: field: message'."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _describe(path: Path, error: ValidationError, prefix: str = "") -> list[str]:
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(whole file)"
        lines.append(f"{path}: {prefix}{field}: {item['msg']}")
    return lines


def knowledge_digest(folder: Path) -> str:
    """The SHA-256 of every knowledge file's name and bytes (or why it cannot be read): equal
    digests, equal content."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".md", ".yaml"):
            digest.update(path.relative_to(folder).as_posix().encode())
            try:
                digest.update(path.read_bytes())
            except OSError as error:  # loading it will say so; the digest only has to differ
                digest.update(f"unreadable: {error.strerror}".encode())
    return digest.hexdigest()


def knowledge_version(folder: Path) -> str:
    """A short digest of the knowledge files, shown as the version serving."""
    return knowledge_digest(folder)[:12]


class KnowledgeWatch:
    """Says when the knowledge files have changed since the knowledge serving was loaded, and
    then stayed the same from one look to the next: a file still being saved is not taken."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.loaded = self.seen = knowledge_digest(folder)

    def settled_change(self) -> bool:
        """Look at the files: True once for each edit, when it has settled."""
        digest = knowledge_digest(self.folder)
        settled = digest == self.seen and digest != self.loaded
        self.seen = digest
        if settled:
            self.loaded = digest
        return settled

    def reloaded(self) -> None:
        """The knowledge was loaded again for another reason (SIGHUP): what is there now is
        what serves."""
        self.loaded = self.seen = knowledge_digest(self.folder)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise KnowledgeError([f"{path}: not UTF-8 text ({error.reason})"]) from None
    except OSError as error:  # a link to nowhere, a folder named .md, no permission
        raise KnowledgeError([f"{path}: cannot be read ({error.strerror})"]) from None


def _parse_yaml(text: str, where: str) -> Any:
    """`text` as data, or a KnowledgeError saying `where` it is bad. PyYAML is imported here:
    a start that finds its answers prepared (`bot.core.prepared`) reads no YAML."""
    import yaml

    # libyaml's C parser when PyYAML was built with it (the wheels are): several times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as error:
        raise KnowledgeError([f"{where}: {error}"]) from None


def _read_yaml(path: Path) -> Any:
    return _parse_yaml(_read_text(path), f"{path}: bad YAML")


def _split_front_matter(path: Path) -> tuple[Any, str]:
    text = _read_text(path)
    if not text.startswith("---"):
        raise KnowledgeError([f"{path}: must start with a '---' YAML front matter block"])
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise KnowledgeError([f"{path}: the front matter has no closing '---' line"])
    head, body = parts
    data = _parse_yaml(head.removeprefix("---"), f"{path}: bad YAML in front matter")
    return data, body.partition("\n")[2].strip()


def _parse_list(path: Path, model: type[M]) -> list[M]:
    data = _read_yaml(path)
    if not isinstance(data, list):
        raise KnowledgeError([f"{path}: expected a YAML list at the top level"])
    items, problems = [], []
    for index, raw in enumerate(data):
        try:
            items.append(model.model_validate(raw))
        except ValidationError as error:
            problems += _describe(path, error, prefix=f"[{index}].")
    if problems:
        raise KnowledgeError(problems)
    return items


def _load_shared(path: Path, model: type[Shared], problems: list[str]) -> dict[str, Shared]:
    """A shared data file (a YAML list of items with ids), keyed by id; problems are collected."""
    found: dict[str, Shared] = {}
    if not path.exists():
        return found
    try:
        items = _parse_list(path, model)
    except KnowledgeError as error:
        problems += error.problems
        return found
    for item in items:
        if item.id in found:
            problems.append(f"{path}: id: duplicate id '{item.id}'")
        found[item.id] = item
    return found


def _load_optional(path: Path, model: type[M], problems: list[str]) -> M | None:
    """One optional file as `model`: None if it is missing or has problems (added to them)."""
    if not path.exists():
        return None
    try:
        return model.model_validate(_read_yaml(path))
    except KnowledgeError as error:
        problems += error.problems
    except ValidationError as error:
        problems += _describe(path, error)
    return None


def _scope_problems(path: Path, scope: Scope, entries: dict[str, Entry]) -> list[str]:
    """A scope word an entry's title, questions or keywords use would decline that entry."""
    used: dict[str, Path] = {}
    for entry in entries.values():
        for phrase in [entry.title, *entry.questions, *entry.keywords]:
            for word in re.findall(r"[a-z0-9]+", phrase.casefold()):
                used.setdefault(word, entry.source)
    return [
        f"{path}: topics.{index}.words: '{word}' is a word {used[word].name} uses"
        for index, topic in enumerate(scope.topics)
        for word in topic.words
        if word in used
    ]


def _load_tour(path: Path, entries: dict[str, Entry], problems: list[str]) -> Tour | None:
    """The tour, if the file exists; every step must name a known entry, once."""
    if not path.exists():
        return None
    try:
        tour = Tour.model_validate(_read_yaml(path))
    except KnowledgeError as error:
        problems += error.problems
        return None
    except ValidationError as error:
        problems += _describe(path, error)
        return None
    seen: set[str] = set()
    for index, step in enumerate(tour.steps):
        if step.entry not in entries:
            problems.append(f"{path}: steps.{index}.entry: unknown entry id '{step.entry}'")
        elif step.entry in seen:
            problems.append(f"{path}: steps.{index}.entry: '{step.entry}' is already a step")
        seen.add(step.entry)
    return tour


def _quiz_problems(path: Path, index: int, question: QuizQuestion, entries: set[str]) -> list[str]:
    where = f"{path}: [{index}]"
    problems = []
    right = sum(option.right for option in question.options)
    if right != 1:
        problems.append(
            f"{where}.options: exactly one option must have 'right: true' (found {right})"
        )
    seen: set[str] = set()
    for number, option in enumerate(question.options):
        key = " ".join(option.text.casefold().split())
        if key in seen:
            problems.append(f"{where}.options.{number}.text: duplicate option '{option.text}'")
        seen.add(key)
    if question.entry not in entries:
        problems.append(f"{where}.entry: unknown entry id '{question.entry}'")
    return problems


def _load_quiz(path: Path, entries: dict[str, Entry], problems: list[str]) -> list[QuizQuestion]:
    """The quiz questions, if the file exists; each with one right answer and distinct options."""
    if not path.exists():
        return []
    try:
        questions = _parse_list(path, QuizQuestion)
    except KnowledgeError as error:
        problems += error.problems
        return []
    ids: set[str] = set()
    for index, question in enumerate(questions):
        problems += _quiz_problems(path, index, question, set(entries))
        if question.id in ids:
            problems.append(f"{path}: [{index}].id: duplicate id '{question.id}'")
        ids.add(question.id)
    return questions


def _load_entry(path: Path, matrix: dict[str, MatrixRow], diagrams: set[str]) -> Entry:
    data, body = _split_front_matter(path)
    try:
        front = EntryFrontMatter.model_validate(data)
    except ValidationError as error:
        raise KnowledgeError(_describe(path, error)) from None
    problems = []
    if not body:
        problems.append(f"{path}: body: the answer text under the front matter is empty")
    rows: list[ComparisonRow] = []
    for index, item in enumerate(front.comparison):
        if isinstance(item, ComparisonRow):
            rows.append(item)
        elif item in matrix:
            row = matrix[item]
            rows.append(ComparisonRow(aspect=row.aspect, vm=row.vm, container=row.container))
        else:
            problems.append(f"{path}: comparison.{index}: unknown comparison row '{item}'")
    if front.diagram is not None and front.diagram not in diagrams:
        problems.append(f"{path}: diagram: unknown diagram '{front.diagram}'")
    if problems:
        raise KnowledgeError(problems)
    fields = front.model_dump(exclude={"comparison", "sources"})
    sources = [str(url) for url in front.sources]
    return Entry(**fields, comparison=rows, sources=sources, answer=body, source=path)


def load_knowledge(folder: Path) -> KnowledgeBase:
    """Read and validate every file under `folder`; raise `KnowledgeError` listing all problems."""
    if not (folder / ENTRIES_DIR).is_dir():
        raise KnowledgeError([f"{folder}: no '{ENTRIES_DIR}/' folder of knowledge entries"])
    problems: list[str] = []
    matrix = _load_shared(folder / MATRIX_FILE, MatrixRow, problems)
    diagrams = _load_shared(folder / DIAGRAMS_FILE, DiagramSpec, problems)

    entries: dict[str, Entry] = {}
    for path in sorted((folder / ENTRIES_DIR).glob("*.md")):
        try:
            entry = _load_entry(path, matrix, set(diagrams))
        except KnowledgeError as error:
            problems += error.problems
            continue
        if entry.id in entries:
            problems.append(
                f"{path}: id: duplicate id '{entry.id}' (also in {entries[entry.id].source})"
            )
        else:
            entries[entry.id] = entry
    if not entries and not problems:
        problems.append(f"{folder / ENTRIES_DIR}: no entries (*.md files)")
    for entry in entries.values():
        for index, related in enumerate(entry.related):
            if related not in entries:
                problems.append(f"{entry.source}: related.{index}: unknown entry id '{related}'")
    vocabulary = _load_optional(folder / VOCABULARY_FILE, Vocabulary, problems) or Vocabulary()
    scope = _load_optional(folder / SCOPE_FILE, Scope, problems)
    if scope is not None:
        problems += _scope_problems(folder / SCOPE_FILE, scope, entries)
    tour = _load_tour(folder / TOUR_FILE, entries, problems)
    quiz = _load_quiz(folder / QUIZ_FILE, entries, problems)
    if problems:
        raise KnowledgeError(problems)
    return KnowledgeBase(
        version=knowledge_version(folder),
        vocabulary=vocabulary,
        scope=scope,
        entries=entries,
        matrix=list(matrix.values()),
        diagrams=diagrams,
        tour=tour,
        quiz=quiz,
    )
