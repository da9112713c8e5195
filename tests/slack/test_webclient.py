"""The Web API and response_url clients: slack_sdk's, over connections kept open."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.slack.app import build_client
from bot.slack.webclient import SDK_LOGGERS
from tests.support import MockSlack
from tests.support.harness import harness_settings


@pytest.fixture
def sdk_levels() -> Iterator[None]:
    """The root's and slack_sdk's client loggers' levels, as they were, after the test."""
    loggers = [logging.getLogger(), *map(logging.getLogger, SDK_LOGGERS)]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.mark.parametrize("level", [logging.WARNING, logging.DEBUG])
def test_slack_sdk_formats_its_debug_lines_only_when_logging_shows_them(
    mock: MockSlack, sdk_levels: None, level: int
) -> None:
    """slack_sdk formats each call's debug line (the whole request body) unless its logger's own
    level is above DEBUG: the client's build gives its loggers the root's level."""
    logging.getLogger().setLevel(level)
    client = build_client(harness_settings(mock))
    assert client.logger.level == level
    assert [logging.getLogger(name).level for name in SDK_LOGGERS] == [level, level]
