"""An empty store database per test: a SQLite file, and PostgreSQL when a server is configured.

PostgreSQL runs when VMDOCKER_TEST_POSTGRES_URL is set (`.ci/run` sets it); each test gets a
schema of its own, dropped afterwards, so parallel runs on one server never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine

POSTGRES_URL_ENV = "VMDOCKER_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """The configured PostgreSQL URL, or skip the test saying why."""
    url = os.environ.get(POSTGRES_URL_ENV, "")
    if not url:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set: the PostgreSQL store tests did not run")
    return url


def postgres_schema_url(base: str) -> Iterator[str]:
    """A URL whose connections use a new, empty schema; the schema is dropped afterwards."""
    schema = f"vmdocker_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every store test runs on SQLite, and on PostgreSQL too when one is configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        yield from postgres_schema_url(postgres_url())


class Clock:
    """A settable clock, so retention and time windows are tested without waiting."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
