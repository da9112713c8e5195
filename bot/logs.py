"""Logging set up once per process from the settings: one line per record, as text people read
or (LOG_FORMAT=json) as one JSON object a line for log collectors."""

from __future__ import annotations

import json
import logging
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


def configure_logging(settings: Settings) -> None:
    """The root logger at LOG_LEVEL, writing LOG_FORMAT to stderr; Python's warnings are logged
    through it too (logger `py.warnings`), not printed beside it."""
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    logging.captureWarnings(True)
