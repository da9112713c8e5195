"""Taught wordings read from a SQLite store with Python's own sqlite3, for `vmdocker ask`, which
looks at them on every start: SQLAlchemy alone takes a third of a second to import. Read only:
the file is opened read-only, and nothing is created, upgraded or locked for writing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from bot.store.errors import StoreError
from bot.store.records import LearnedPhrasing

LEARNED_TABLE = "vmdocker_learned"  # bot.store.schema.learned (tests/store/test_store.py)
TIMEOUT_S = 1.5


def _is_sqlite(url: str) -> bool:
    return urlsplit(url).scheme.split("+")[0] == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The file of a `sqlite:///path` DATABASE_URL (`sqlite:////path` for an absolute one);
    None for another database, or an in-memory one."""
    path = unquote(urlsplit(url).path)[1:]
    return Path(path) if _is_sqlite(url) and path not in ("", ":memory:") else None


def nothing_kept(url: str) -> bool:
    """True for an in-memory SQLite database or a SQLite file never created: nothing was taught
    there."""
    path = sqlite_file(url)
    return _is_sqlite(url) and (path is None or not path.exists())


def taught_in_file(path: Path) -> list[LearnedPhrasing]:
    """Every wording taught in the SQLite store at `path`, oldest first; StoreError when it
    cannot be read (no such file, not a vmdocker store, or one from before taught wordings)."""
    columns = ", ".join(LearnedPhrasing.model_fields)
    query = f"SELECT {columns} FROM {LEARNED_TABLE} ORDER BY id"
    try:
        uri = f"file:{quote(str(path))}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=TIMEOUT_S)
        try:
            connection.row_factory = sqlite3.Row
            rows = connection.execute(query).fetchall()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise StoreError(f"{type(error).__name__}: {error}") from None
    return [LearnedPhrasing.model_validate(dict(row)) for row in rows]
