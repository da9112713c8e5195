"""Shared fixtures: the shipped knowledge base and its matcher, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers import Answers
from bot.config import Settings, load_settings
from tests.store_databases import database_url  # noqa: F401 - a fixture for store tests

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(VMDOCKER_KNOWLEDGE_DIR=KNOWLEDGE)


@pytest.fixture(scope="session")
def answers(settings: Settings) -> Answers:
    return Answers.from_settings(settings)
