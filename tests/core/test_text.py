"""The one question cleaner: what every surface passes a person's text through."""

from __future__ import annotations

from bot.core.text import MAX_QUESTION_CHARS, clean_question


def test_mentions_are_removed_wherever_they_are() -> None:
    assert clean_question("<@U0BOT> what is a vm?") == "what is a vm?"
    assert clean_question("hey <@U0BOT|vmdocker>: what is a vm?") == "hey what is a vm?"
    assert clean_question("<@U0BOT> ask <@U0PAT>") == "ask"
    assert clean_question("<@U0BOT>") == ""


def test_links_and_channels_keep_the_label_people_read() -> None:
    text = "see <#C123|general> and <https://docs.docker.com|the docs> &amp; <!here>"
    assert clean_question(text) == "see #general and the docs &"
    assert clean_question("in <#C123|> or <#C456>?") == "in or ?"  # no name to show


def test_control_characters_go_and_whitespace_collapses() -> None:
    assert clean_question("what\x00 is\x07 a\x1b vm\u0085?") == "what is a vm ?"
    assert clean_question("line one\nline\ttwo") == "line one line two"


def test_long_text_is_cut_at_a_word_to_one_limit() -> None:
    cleaned = clean_question("word " * 40_000)
    assert len(cleaned) <= MAX_QUESTION_CHARS
    assert cleaned.endswith("word…")
