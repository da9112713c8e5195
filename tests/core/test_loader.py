"""The loader reads the shipped knowledge and rejects broken folders whole, naming the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.knowledge import KnowledgeError, KnowledgeWatch, knowledge_digest, load_knowledge
from tests.conftest import KNOWLEDGE

GOOD_ENTRY = """---
id: {id}
title: A title
questions: [what is this]
sources: [https://docs.docker.com/]
related: {related}
---
Some answer.
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, copy)
    return copy


def _problems(folder: Path) -> str:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(folder)
    return str(caught.value)


def test_shipped_knowledge_loads() -> None:
    knowledge = load_knowledge(KNOWLEDGE)
    assert "vm-vs-docker" in knowledge.entries
    assert "container-vs-vm" in knowledge.diagrams
    assert all(entry.answer for entry in knowledge.entries.values())


def test_bad_yaml_names_the_file(folder: Path) -> None:
    (folder / "entries" / "broken.md").write_text("---\nid: [unclosed\n---\nbody\n")
    assert "broken.md: bad YAML" in _problems(folder)


def test_missing_field_names_file_and_field(folder: Path) -> None:
    (folder / "entries" / "nofield.md").write_text("---\nid: nofield\ntitle: T\n---\nbody\n")
    assert "nofield.md: questions: Field required" in _problems(folder)


def test_wrong_type_and_unknown_field(folder: Path) -> None:
    (folder / "entries" / "typo.md").write_text(
        "---\nid: typo\ntitle: T\nquestions: what\nkeyword: [x]\n---\nbody\n"
    )
    problems = _problems(folder)
    assert "typo.md: questions:" in problems
    assert "typo.md: keyword: Extra inputs are not permitted" in problems


def test_unknown_related_id(folder: Path) -> None:
    (folder / "entries" / "lonely.md").write_text(GOOD_ENTRY.format(id="lonely", related="[nope]"))
    assert "lonely.md: related.0: unknown entry id 'nope'" in _problems(folder)


def test_duplicate_id(folder: Path) -> None:
    (folder / "entries" / "twin.md").write_text(GOOD_ENTRY.format(id="vm-vs-docker", related="[]"))
    problems = _problems(folder)
    assert "duplicate id 'vm-vs-docker'" in problems
    assert "twin.md" in problems


def test_unknown_diagram_and_comparison_row(folder: Path) -> None:
    (folder / "entries" / "refs.md").write_text(
        "---\nid: refs\ntitle: T\nquestions: [q]\nsources: [https://docs.docker.com/]\n"
        "diagram: nope\ncomparison: [nope]\n---\nbody\n"
    )
    problems = _problems(folder)
    assert "refs.md: diagram: unknown diagram 'nope'" in problems
    assert "refs.md: comparison.0: unknown comparison row 'nope'" in problems


def test_binary_file_and_missing_front_matter(folder: Path) -> None:
    (folder / "entries" / "binary.md").write_bytes(b"\xff\xfe\x00\x01garbage")
    (folder / "entries" / "plain.md").write_text("just text, no front matter\n")
    problems = _problems(folder)
    assert "binary.md: not UTF-8 text" in problems
    assert "plain.md: must start with a '---' YAML front matter block" in problems


def test_broken_shared_file(folder: Path) -> None:
    (folder / "diagrams.yaml").write_text("- id: x\n  title: T\n")
    problems = _problems(folder)
    assert "diagrams.yaml: [0].alt: Field required" in problems


def test_empty_folder(tmp_path: Path) -> None:
    assert "no 'entries/' folder" in _problems(tmp_path)


def test_an_entry_without_sources_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    (folder / "entries").mkdir(parents=True)
    (folder / "entries" / "bare.md").write_text("---\nid: bare\ntitle: T\nquestions: [q]\n---\nx\n")
    (folder / "entries" / "bad.md").write_text(
        "---\nid: bad\ntitle: T\nquestions: [q]\nsources: [not a url]\n---\nx\n"
    )
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(folder)
    problems = "\n".join(error.value.problems)
    assert "bare.md: sources: Field required" in problems
    assert "bad.md: sources.0:" in problems


def test_a_watch_tells_each_edit_once_when_two_looks_see_it_the_same(folder: Path) -> None:
    watch = KnowledgeWatch(folder)
    assert not watch.settled_change()  # nothing edited
    entry = folder / "entries" / "start-time.md"
    entry.write_text(entry.read_text() + "\nOne more line.\n")
    assert not watch.settled_change()  # maybe still being saved
    entry.write_text(entry.read_text() + "And another.\n")
    assert not watch.settled_change()  # it was: changed again since the last look
    assert watch.settled_change()  # the same two looks in a row: take it
    assert not watch.settled_change()  # told once
    (folder / "entries" / "new.md").write_text("---\n")
    watch.reloaded()  # SIGHUP loaded it already
    assert not watch.settled_change()


def test_a_file_that_cannot_be_read_is_a_problem_naming_it(folder: Path) -> None:
    """A link to nowhere (a ConfigMap mount mid-update), or a folder named like an entry."""
    (folder / "entries" / "gone.md").symlink_to(folder / "nowhere.md")
    (folder / "entries" / "folder.md").mkdir()
    problems = _problems(folder)
    assert "gone.md: cannot be read (No such file or directory)" in problems
    assert "folder.md: cannot be read (Is a directory)" in problems
    assert knowledge_digest(folder) != knowledge_digest(KNOWLEDGE)  # and the watch still looks


def test_a_chat_word_that_is_also_an_alias_is_a_problem(folder: Path) -> None:
    vocabulary = folder / "vocabulary.yaml"
    vocabulary.write_text(vocabulary.read_text() + "  - btw\n")  # btw: between, an alias
    assert "vocabulary.yaml: chat: Value error, also an alias or a product: btw" in _problems(
        folder
    )
