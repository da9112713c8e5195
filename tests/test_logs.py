"""LOG_FORMAT=json: one JSON object per log line, tracebacks inside it, nothing on other lines."""

from __future__ import annotations

import json
import logging
import sys

from bot.logs import JsonFormatter


def test_a_record_is_one_json_line_with_its_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failure = sys.exc_info()
    record = logging.LogRecord(
        "bot.test", logging.ERROR, __file__, 1, "failed on %s", ("x\ny",), failure
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "ERROR" and parsed["logger"] == "bot.test"
    assert parsed["message"] == "failed on x\ny"
    assert "ValueError: boom" in parsed["traceback"]
