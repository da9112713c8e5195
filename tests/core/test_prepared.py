"""Prepared answers kept on disk: made once, found again by everything they are made of, and
never in the way when the cache folder is broken or unwritable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from wordfreq import iter_wordlist, zipf_frequency

from bot.config import default_cache_dir
from bot.core.answers import Answers
from bot.core.knowledge import KnowledgeError
from bot.core.normalize import WORDLIST, english_words, english_zipf
from bot.core.prepared import prepared_answers
from tests.support.knowledge import knowledge_copy

QUESTION = "what is a vm"


def load_refused(*args: object, **kwargs: object) -> Answers:
    raise AssertionError("the knowledge was loaded again instead of being found in the cache")


def test_the_second_start_finds_the_answers_without_loading_the_knowledge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, cache = knowledge_copy(tmp_path), tmp_path / "cache"
    made = prepared_answers(folder, cache_dir=cache)
    assert (cache.stat().st_mode & 0o777) == 0o700  # a pickle runs code: its owner's alone
    monkeypatch.setattr(Answers, "load", load_refused)
    found = prepared_answers(folder, cache_dir=cache)
    assert found.reply_to(QUESTION) == made.reply_to(QUESTION)
    assert found.knowledge == made.knowledge


def test_an_edited_entry_thresholds_or_taught_wordings_make_new_answers(tmp_path: Path) -> None:
    folder, cache = knowledge_copy(tmp_path), tmp_path / "cache"
    before = prepared_answers(folder, cache_dir=cache).reply_to(QUESTION)
    entry = folder / "entries" / f"{before.entry_id}.md"
    entry.write_text(entry.read_text().replace("digital representation", "software copy"))
    after = prepared_answers(folder, cache_dir=cache).reply_to(QUESTION)
    assert "software copy" in after.answer and "software copy" not in before.answer

    strict = prepared_answers(folder, answer_threshold=99, suggest_threshold=98, cache_dir=cache)
    assert strict.matcher.answer_threshold == 99
    wording = "why does my laptop fan spin with docker"
    assert prepared_answers(folder, cache_dir=cache).routes_to(wording) is None
    taught = {"docker-desktop-memory": [wording]}
    assert (
        prepared_answers(folder, taught=taught, cache_dir=cache).routes_to(wording)
        == "docker-desktop-memory"
    )


def test_a_broken_knowledge_edit_is_refused_and_never_kept(tmp_path: Path) -> None:
    folder, cache = knowledge_copy(tmp_path), tmp_path / "cache"
    (folder / "entries" / "broken.md").write_text("no front matter")
    with pytest.raises(KnowledgeError):
        prepared_answers(folder, cache_dir=cache)
    assert not list(cache.glob("answers-*"))


def test_a_damaged_or_unwritable_cache_is_passed_over(tmp_path: Path) -> None:
    folder, cache = knowledge_copy(tmp_path), tmp_path / "cache"
    expected = prepared_answers(folder, cache_dir=cache).reply_to(QUESTION)
    for kept in cache.glob("*.pickle"):
        kept.write_bytes(b"\x80\x05 not a pickle")
    assert prepared_answers(folder, cache_dir=cache).reply_to(QUESTION) == expected
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    assert prepared_answers(folder, cache_dir=blocked).reply_to(QUESTION) == expected


def test_only_the_most_recently_used_answers_are_kept(tmp_path: Path) -> None:
    folder, cache = knowledge_copy(tmp_path), tmp_path / "cache"
    for threshold in range(60, 70):
        prepared_answers(folder, answer_threshold=threshold, cache_dir=cache)
    assert len(list(cache.glob("answers-*.pickle"))) == 8
    assert not list(cache.glob("*.tmp"))


def test_the_english_word_table_gives_what_wordfreq_gives(answers: Answers) -> None:
    """Every plain word of the knowledge, and plain words wordfreq does not list, are worth the
    same in the table (absent: 0) as in wordfreq, or as their form with an apostrophe where
    wordfreq lists one ("dont" as "don't"); words with other letters are left to wordfreq."""
    table = english_words()
    normalizer = answers.matcher.normalizer
    words = {token.word for text in _texts(answers) for token in normalizer.tokens(text)}
    words |= {"kubernetes", "dockerfile", "qwertyzzz", "hypervisors", "vm", "doesnt", "im"}
    plain = {word for word in words if word.isascii() and word.isalpha() and word.islower()}
    with_apostrophe: dict[str, list[str]] = {}
    for listed in iter_wordlist("en", wordlist=WORDLIST):
        if "'" in listed:
            with_apostrophe.setdefault(listed.replace("'", ""), []).append(listed)
    assert len(plain) > 500
    assert {word: table.get(word, 0.0) for word in plain} == {
        word: max(
            zipf_frequency(form, "en", wordlist=WORDLIST)
            for form in [word, *with_apostrophe.get(word, [])]
        )
        for word in plain
    }
    assert english_zipf("doesnt") == zipf_frequency("doesn't", "en", wordlist=WORDLIST) > 5
    assert english_zipf("café") == zipf_frequency("café", "en", wordlist=WORDLIST) > 0
    # wordfreq scores "x86" by its digit pattern; here letters with digits are never English.
    assert english_zipf("x86") == english_zipf("amd64") == 0.0


def test_tests_keep_their_cache_apart_from_the_users() -> None:
    assert os.environ["VMDOCKER_CACHE_DIR"] != str(default_cache_dir())


def _texts(answers: Answers) -> list[str]:
    entries = answers.knowledge.entries.values()
    return [text for entry in entries for text in (entry.title, entry.answer, *entry.questions)]
