"""Answers ready to use, kept on disk between runs (VMDOCKER_CACHE_DIR).

Reading and validating the knowledge and building its matcher take a few tenths of a second,
and importing wordfreq as much again; a pickle of the result loads in a few hundredths. A kept
result is found by a key over all it is made of: the knowledge files' bytes and folder, the
thresholds, the taught wordings, this package's source, Python and the libraries whose output it
holds. Only answers that loaded (a valid knowledge base) are kept; a cache that cannot be read
or written is passed over (logged at debug), never an error. A pickle can run code: the folder
is made for its owner alone (0700), like Python's own caches.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Mapping
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

import numpy as np
from pydantic import VERSION as PYDANTIC_VERSION

from bot.core.answers import Answers
from bot.core.knowledge import knowledge_digest
from bot.core.models import ANSWER_THRESHOLD, SUGGEST_THRESHOLD
from bot.core.normalize import english_words, use_english_words

CACHE_FORMAT = 1  # raise it when what is kept changes in a way the source digest cannot see
KEEP_ANSWERS = 8  # knowledge versions, thresholds and taught wordings kept side by side

T = TypeVar("T")

log = logging.getLogger(__name__)


def prepared_answers(
    folder: Path,
    *,
    answer_threshold: float = ANSWER_THRESHOLD,
    suggest_threshold: float = SUGGEST_THRESHOLD,
    taught: Mapping[str, list[str]] | None = None,
    cache_dir: Path | None = None,
) -> Answers:
    """The answers of the knowledge `folder` with the `taught` wordings (entry id -> wordings),
    from `cache_dir` when they were made before (raises KnowledgeError when the folder is
    invalid). Without `cache_dir`, made anew."""

    def build() -> Answers:
        answers = Answers.load(
            folder, answer_threshold=answer_threshold, suggest_threshold=suggest_threshold
        )
        return answers.with_learned(taught) if taught else answers

    if cache_dir is None:
        return build()
    wordfreq = version("wordfreq")
    english = _key(wordfreq, _source_digest())
    use_english_words(_kept(cache_dir / f"english-{english}.pickle", dict, english_words))
    key = _key(
        knowledge_digest(folder),
        str(folder.resolve()),
        answer_threshold,
        suggest_threshold,
        sorted((entry_id, sorted(wordings)) for entry_id, wordings in (taught or {}).items()),
        _source_digest(),
        sys.version,
        np.__version__,
        PYDANTIC_VERSION,
        version("PyStemmer"),
        version("PyYAML"),
        wordfreq,
    )
    answers = _kept(cache_dir / f"answers-{key}.pickle", Answers, build)
    _prune(cache_dir, "answers-*.pickle", KEEP_ANSWERS)
    return answers


def _key(*parts: object) -> str:
    text = json.dumps([CACHE_FORMAT, *parts], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _source_digest() -> str:
    """The bytes of this package's modules: the classes and code that made what is kept."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _kept(path: Path, kind: type[T], build: Callable[[], T]) -> T:
    """What `path` keeps, if it is a `kind`; otherwise `build()`, then kept there."""
    try:
        with path.open("rb") as file:
            found = pickle.load(file)
        if isinstance(found, kind):
            os.utime(path)  # recently used: pruned last
            return found
        log.debug("cache: %s holds no %s; making it anew", path, kind.__name__)
    except FileNotFoundError:
        pass
    except Exception as error:  # a truncated or foreign file fails in many ways
        log.debug("cache: cannot read %s (%s); making it anew", path, error)
    made = build()
    _keep(path, made)
    return made


def _keep(path: Path, value: object) -> None:
    """Write `value` to `path` whole or not at all (a reader never sees half a file)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError as error:
        log.debug("cache: cannot write in %s (%s)", path.parent, error)
        return
    try:
        with os.fdopen(descriptor, "wb") as file:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError) as error:
        log.debug("cache: cannot write %s (%s)", path, error)
        Path(temporary).unlink(missing_ok=True)


def _prune(folder: Path, pattern: str, keep: int) -> None:
    """Delete all but the `keep` most recently used files matching `pattern`."""
    try:
        found = sorted(folder.glob(pattern), key=lambda path: path.stat().st_mtime, reverse=True)
        for path in found[keep:]:
            path.unlink(missing_ok=True)
    except OSError as error:  # another process pruned the same file first
        log.debug("cache: cannot prune %s (%s)", folder, error)
