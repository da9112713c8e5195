"""What is remembered: the inbox of acked requests, questions, votes, greetings, progress,
uploaded diagram files and installs, and what the bot learns in Slack (misses, taught wordings,
drafts, expert questions, review reminders), in SQLite or PostgreSQL. Knows no domain and no
settings: `open_store(url, ...)` takes what it needs.

This package's face imports nothing heavy, so `bot.store.records` stays cheap to import; the
database lives in `bot.store.database` (SQLAlchemy) and `bot.store.resilient`.
"""
