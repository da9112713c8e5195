"""Logging set up once per process from the settings: one line per record, as text people read
or (LOG_FORMAT=json) as one JSON object a line for log collectors."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

from bot.config import Settings

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_thread_failure(args: threading.ExceptHookArgs) -> None:
    """A thread ended by an exception: logged with its traceback, not printed beside the log."""
    name = args.thread.name if args.thread else "a thread"
    failure = args.exc_value
    logging.getLogger("threading").error("%s failed: %r", name, failure, exc_info=failure)


def configure_logging(settings: Settings) -> None:
    """The root logger at LOG_LEVEL, writing LOG_FORMAT to stderr; Python's warnings and the
    exceptions that end a thread are logged through it too, not printed beside it."""
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    logging.captureWarnings(True)
    threading.excepthook = log_thread_failure
