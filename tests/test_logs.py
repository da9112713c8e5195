"""LOG_FORMAT=json: one JSON object per log line, tracebacks inside it, nothing on other lines."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from bot.logs import JsonFormatter
from tests.conftest import ROOT


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


def test_python_warnings_are_logged_as_json_too() -> None:
    """A library's warning would otherwise be printed on lines of its own, beside the JSON."""
    program = (
        "import warnings; from bot.config import Settings; from bot.logs import configure_logging;"
        "configure_logging(Settings(log_format='json')); warnings.warn('mind the gap')"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True)
    [line] = done.stderr.splitlines()
    record = json.loads(line)
    assert record["logger"] == "py.warnings" and "mind the gap" in record["message"]
