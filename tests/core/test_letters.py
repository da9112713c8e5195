"""The letters' naive Bayes: which entry a text's character n-grams are most like."""

from __future__ import annotations

import pickle

import numpy as np

from bot.core.letters import Letters, ngrams, word_ngrams

DOCUMENTS = [
    (0, "Namespaces and cgroups isolate a container's processes"),
    (0, "What does the kernel share between containers?"),
    (1, "A hypervisor runs virtual machines, each with its guest operating system"),
    (1, "What is a hypervisor?"),
]


def test_a_word_is_read_as_its_runs_of_two_to_five_letters_padded_with_spaces() -> None:
    assert word_ngrams("vm") == (" v", "vm", "m ", " vm", "vm ", " vm ")
    assert " kern" in word_ngrams("kernel") and "rnel " in word_ngrams("kernel")


def test_a_text_counts_its_words_ngrams_without_markup_or_punctuation() -> None:
    grams = ngrams("*VM*, vm? <https://example.com|link>")
    assert grams[" vm "] == 2
    assert not any("*" in gram or "?" in gram or "http" in gram for gram in grams)


def test_misspelt_and_run_together_words_still_point_to_their_entry() -> None:
    letters = Letters(DOCUMENTS, entries=2)
    for text in ["my hypervisr and its guests", "virtualmachines", "cgroup namespacing"]:
        likely = letters.likelihood(text)
        expected = 0 if "cgroup" in text else 1
        assert likely[expected] == 1.0
        assert likely[1 - expected] < 0.5, text


def test_a_text_without_a_known_ngram_is_alike_for_every_entry() -> None:
    letters = Letters(DOCUMENTS, entries=2)
    for text in ["", "?!", "🙂 🙂"]:
        assert np.array_equal(letters.likelihood(text), np.ones(2))


def test_no_documents_at_all_make_every_text_alike_for_every_entry() -> None:
    letters = Letters([(0, "?!"), (1, "")], entries=2)
    assert np.array_equal(letters.likelihood("what is a hypervisor"), np.ones(2))


def test_an_entry_without_documents_gets_finite_odds_below_the_one_that_fits() -> None:
    letters = Letters(DOCUMENTS, entries=3)
    likely = letters.likelihood("what is a hypervisor")
    assert np.isfinite(likely).all()
    assert likely.argmax() == 1 and likely[2] < 1.0


def test_letters_survive_pickling_as_the_answers_cache_keeps_them() -> None:
    letters = Letters(DOCUMENTS, entries=2)
    again = pickle.loads(pickle.dumps(letters))
    text = "do containers share the kernel"
    assert np.allclose(again.likelihood(text), letters.likelihood(text))
