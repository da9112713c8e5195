"""Shared fixtures: the shipped knowledge base loaded once, and a mock Slack Web API per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.config import Settings, load_settings
from bot.core.answers import Answers
from tests.support import MockSlack
from tests.support.store_databases import database_url  # noqa: F401 - a fixture for store tests

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Prepared answers are kept in this session's own folder, never in the user's cache; the
    processes tests start inherit it."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VMDOCKER_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(VMDOCKER_KNOWLEDGE_DIR=KNOWLEDGE)


@pytest.fixture(scope="session")
def answers(settings: Settings) -> Answers:
    return Answers.load(
        settings.knowledge_dir,
        answer_threshold=settings.match_answer_threshold,
        suggest_threshold=settings.match_suggest_threshold,
    )


@pytest.fixture(scope="module")
def mock() -> Iterator[MockSlack]:
    """A mock Slack Web API on loopback, one per test module; it records every call."""
    with MockSlack() as server:
        yield server


@pytest.fixture
def client(mock: MockSlack) -> WebClient:
    """A Web API client pointed at the mock, with the mock's record cleared."""
    mock.reset()
    return WebClient(token="xoxb-test", base_url=mock.api_url)
