"""The shipped knowledge keeps every seed fact, its shape rules, and its shared data."""

from __future__ import annotations

import re

import pytest

from bot.core.answers import Answers
from bot.core.models import Band
from bot.render.diagrams import MAX_COLUMNS, render_diagram_text

# A question someone might ask, the entry that must answer it, and facts its answer states.
SEED_FACTS = [
    ("what is a vm", "what-is-a-vm", ["digital representation of a physical computer", "file"]),
    ("what is a vm", "what-is-a-vm", ["window", "separate computing environment"]),
    ("layers of an os", "os-layers", ["application layer", "kernel", "hardware", "core"]),
    ("what does the kernel do", "os-layers", ["hardware", "software"]),
    ("what does docker virtualize", "what-docker-virtualizes", ["application layer", "JRE"]),
    ("does docker have a kernel", "what-docker-virtualizes", ["host's kernel", "complete"]),
    ("docker image size", "image-size", ["MB", "GB"]),
    ("container start time", "start-time", ["seconds", "minutes"]),
    ("docker os compatibility", "os-compatibility", ["Linux distros", "any OS", "Linux-based"]),
    ("docker desktop", "docker-desktop", ["hypervisor", "lightweight Linux", "WSL 2", "Hyper-V"]),
    ("docker desktop", "docker-desktop", ["macOS", "Linux VM"]),
    ("hypervisor types", "hypervisors", ["ESXi", "Hyper-V", "KVM", "Xen", "VirtualBox"]),
    ("hypervisor types", "hypervisors", ["VMware Workstation", "Parallels"]),
    ("container isolation", "isolation-security", ["escape", "gVisor", "Kata", "Firecracker"]),
    ("namespaces cgroups", "namespaces-cgroups", ["Namespaces", "Cgroups"]),
    ("windows containers", "windows-containers", ["Windows kernel"]),
]
MATRIX_ROWS = {
    "virtualizes",
    "kernel",
    "image-size",
    "start-time",
    "os-compatibility",
    "isolation",
    "overhead",
    "density",
    "typical-tools",
}
DIAGRAMS = {"os-layers", "container-vs-vm", "docker-desktop", "hypervisor-types"}
MAX_PROSE_WORDS = 120


@pytest.mark.parametrize(("question", "entry_id", "facts"), SEED_FACTS)
def test_seed_facts_are_findable(
    answers: Answers, question: str, entry_id: str, facts: list[str]
) -> None:
    match = answers.match(question)
    assert match.band is Band.ANSWER
    assert match.entry is not None and match.entry.id == entry_id
    answer = " ".join(match.entry.answer.split()).casefold()
    for fact in facts:
        assert fact.casefold() in answer, fact


def test_every_entry_has_the_expected_shape(answers: Answers) -> None:
    for entry in answers.knowledge.entries.values():
        prose = re.findall(r"[\w'.-]+", entry.answer)
        assert 6 <= len(entry.questions) <= 12, entry.id
        assert entry.keywords and entry.related, entry.id
        assert len(prose) <= MAX_PROSE_WORDS, (entry.id, len(prose))


def test_shared_matrix_and_diagrams_are_complete(answers: Answers) -> None:
    assert {row.id for row in answers.knowledge.matrix} >= MATRIX_ROWS
    assert set(answers.knowledge.diagrams) >= DIAGRAMS
    for spec in answers.knowledge.diagrams.values():
        lines = render_diagram_text(spec).splitlines()
        assert max(len(line) for line in lines) <= MAX_COLUMNS, spec.id


def test_overview_links_to_the_rest(answers: Answers) -> None:
    overview = answers.knowledge.entries["vm-vs-docker"]
    assert len(overview.related) >= 6
    assert {row.aspect for row in overview.comparison} >= {"Image size", "Start time"}
