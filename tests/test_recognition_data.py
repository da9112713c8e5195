"""The recognition benchmark's data (benchmarks/recognition/{dev,test,fresh}.yaml) keeps its
rules: every item has its fields, labels name real entries and known off-topic topics, a URL
belongs to one file and gives at most 3 questions, and no question appears twice. Messages name
the file and URL only, so a failure never prints a frozen test question."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import yaml

from bot.core.knowledge import load_knowledge
from tests.conftest import KNOWLEDGE, ROOT

DATA = ROOT / "benchmarks" / "recognition"
FILES = ("dev", "test", "fresh")
SECTIONS = {"in_scope": "expect", "off_topic": "topic", "unlabelled": "why"}
TOPICS = {"docker-troubleshooting", "compose", "kubernetes-ops", "cloud-pricing", "licensing"}
TOPICS |= {"ci", "other"}


def items(name: str) -> list[tuple[str, dict[str, Any]]]:
    """(section, item) for every item of `name`.yaml."""
    data = yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))
    assert set(data) == set(SECTIONS), name
    return [(section, item) for section in SECTIONS for item in data[section] or []]


@pytest.mark.parametrize("name", FILES)
def test_every_item_has_its_fields_and_a_known_label(name: str) -> None:
    ids = set(load_knowledge(KNOWLEDGE).entries)
    for section, item in items(name):
        where = f"{name}.yaml {section} {item.get('url')}"
        assert set(item) == {"q", "url", SECTIONS[section]}, where
        assert isinstance(item["q"], str) and item["q"].strip(), where
        assert item["url"].startswith(("https://", "http://")), where
        if section == "in_scope":
            assert item["expect"] and set(item["expect"]) <= ids, where
        elif section == "off_topic":
            assert item["topic"] in TOPICS, where
        else:
            assert isinstance(item["why"], str) and item["why"].strip(), where


def test_a_url_is_in_one_file_and_gives_at_most_three_questions() -> None:
    files_of: dict[str, set[str]] = {}
    per_url: Counter[str] = Counter()
    for name in FILES:
        for _, item in items(name):
            files_of.setdefault(item["url"], set()).add(name)
            per_url[item["url"]] += 1
    assert not {url: names for url, names in files_of.items() if len(names) > 1}
    assert not [url for url, count in per_url.items() if count > 3]


def test_no_question_appears_twice_ignoring_case() -> None:
    seen: dict[str, str] = {}
    repeated = []
    for name in FILES:
        for _, item in items(name):
            text = " ".join(item["q"].lower().split())
            if text in seen:
                repeated.append(f"{seen[text]} and {name}.yaml {item['url']}")
            seen.setdefault(text, f"{name}.yaml {item['url']}")
    assert not repeated
