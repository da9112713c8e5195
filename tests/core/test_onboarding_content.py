"""The shipped tour and quiz, and the loader rejecting broken ones with the file and field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.knowledge import KnowledgeError, load_knowledge
from tests.conftest import KNOWLEDGE
from tests.support.cli import vmdocker

SEED_ENTRIES = {"what-is-a-vm", "os-layers", "what-docker-virtualizes", "image-size", "start-time"}

QUESTION = """
- id: {id}
  question: Which one?
  options:
{options}
  explanation: Because.
  entry: {entry}
"""


ENTRY = (
    "---\nid: {id}\ntitle: {id}\nquestions: [what is {id}]\nsources: [https://docs.docker.com/]\n"
    "---\nAn answer.\n"
)
TOUR = "title: T\nsteps:\n  - {entry: image-size, intro: a}\n  - {entry: start-time, intro: b}\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A small knowledge folder of its own, so these tests do not move with the content."""
    root = tmp_path / "knowledge"
    (root / "entries").mkdir(parents=True)
    for entry_id in ("image-size", "start-time"):
        (root / "entries" / f"{entry_id}.md").write_text(ENTRY.format(id=entry_id))
    (root / "tour.yaml").write_text(TOUR)
    _quiz(root, _question([("MB", True), ("GB", False)]))
    return root


def _problems(folder: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(folder)
    return caught.value.problems


def _quiz(folder: Path, *questions: str) -> Path:
    path = folder / "quiz.yaml"
    path.write_text("".join(questions))
    return path


def _question(options: list[tuple[str, bool]], *, id: str = "q1", entry: str = "image-size") -> str:
    lines = "\n".join(
        f"    - text: {text}" + ("\n      right: true" if right else "") for text, right in options
    )
    return QUESTION.format(id=id, options=lines, entry=entry)


def test_shipped_tour_is_a_path_through_known_entries() -> None:
    knowledge = load_knowledge(KNOWLEDGE)
    assert knowledge.tour is not None
    steps = [step.entry for step in knowledge.tour.steps]
    assert 6 <= len(steps) <= 8
    assert len(set(steps)) == len(steps)
    assert set(steps) <= set(knowledge.entries)
    assert set(steps) >= SEED_ENTRIES
    assert all(step.intro for step in knowledge.tour.steps)


def test_shipped_quiz_covers_the_seed_with_one_right_answer_each() -> None:
    knowledge = load_knowledge(KNOWLEDGE)
    assert len(knowledge.quiz) >= 8
    assert {question.entry for question in knowledge.quiz} >= SEED_ENTRIES
    for question in knowledge.quiz:
        assert sum(option.right for option in question.options) == 1
        assert question.options[question.right_index].right
        assert question.entry in knowledge.entries
    texts = " ".join(q.question + " " + " ".join(o.text for o in q.options) for q in knowledge.quiz)
    for fact in ("MB", "GB", "seconds", "minutes", "kernel", "application layer", "hypervisor"):
        assert fact in texts, fact


def test_tour_step_with_unknown_or_repeated_entry(folder: Path) -> None:
    (folder / "tour.yaml").write_text(
        "title: T\nsteps:\n  - {entry: image-size, intro: a}\n  - {entry: nope, intro: b}\n"
        "  - {entry: image-size, intro: c}\n"
    )
    problems = _problems(folder)
    path = folder / "tour.yaml"
    assert f"{path}: steps.1.entry: unknown entry id 'nope'" in problems
    assert f"{path}: steps.2.entry: 'image-size' is already a step" in problems


def test_tour_field_errors_name_the_field(folder: Path) -> None:
    (folder / "tour.yaml").write_text("steps:\n  - {entry: image-size}\n  - {entry: start-time}\n")
    problems = "\n".join(_problems(folder))
    assert "tour.yaml: title: Field required" in problems
    assert "tour.yaml: steps.0.intro: Field required" in problems


def test_quiz_question_with_no_right_answer(folder: Path) -> None:
    path = _quiz(folder, _question([("MB", False), ("GB", False)]))
    assert _problems(folder) == [
        f"{path}: [0].options: exactly one option must have 'right: true' (found 0)"
    ]


def test_quiz_question_with_two_right_answers(folder: Path) -> None:
    path = _quiz(folder, _question([("MB", True), ("GB", True), ("TB", False)]))
    assert _problems(folder) == [
        f"{path}: [0].options: exactly one option must have 'right: true' (found 2)"
    ]


def test_quiz_duplicate_options_ignore_case_and_spacing(folder: Path) -> None:
    path = _quiz(folder, _question([("A couple of MB", True), ("a  couple of mb", False)]))
    assert _problems(folder) == [f"{path}: [0].options.1.text: duplicate option 'a  couple of mb'"]


def test_quiz_unknown_entry_and_duplicate_id(folder: Path) -> None:
    path = _quiz(
        folder,
        _question([("MB", True), ("GB", False)]),
        _question([("MB", True), ("GB", False)], entry="nope"),
    )
    problems = _problems(folder)
    assert f"{path}: [1].entry: unknown entry id 'nope'" in problems
    assert f"{path}: [1].id: duplicate id 'q1'" in problems


def test_quiz_field_errors_name_index_and_field(folder: Path) -> None:
    _quiz(folder, "- id: q1\n  question: Q?\n  options: [{text: A, right: true}]\n  entry: x\n")
    problems = "\n".join(_problems(folder))
    assert "quiz.yaml: [0].options: List should have at least 2 items" in problems
    assert "quiz.yaml: [0].explanation: Field required" in problems


def test_tour_and_quiz_are_optional(folder: Path) -> None:
    (folder / "tour.yaml").unlink()
    (folder / "quiz.yaml").unlink()
    knowledge = load_knowledge(folder)
    assert knowledge.tour is None
    assert knowledge.quiz == []


def test_vmdocker_check_reports_a_broken_quiz(folder: Path) -> None:
    _quiz(folder, _question([("MB", False), ("GB", False)]))
    result = vmdocker("--knowledge", str(folder), "check")
    assert result.returncode == 1
    assert "quiz.yaml: [0].options: exactly one option" in result.stderr


def test_vmdocker_check_summarises_the_tour_and_quiz(folder: Path) -> None:
    result = vmdocker("--knowledge", str(folder), "check")
    assert "tour: 2 steps, quiz: 1 questions (all valid)" in result.stdout
