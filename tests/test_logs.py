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


def json_lines_of(program: str) -> list[dict[str, str]]:
    """What `program` writes to stderr after LOG_FORMAT=json logging is set up, line by line."""
    setup = (
        "from bot.config import Settings; from bot.logs import configure_logging; "
        "configure_logging(Settings(log_format='json'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", setup + program]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    return [json.loads(line) for line in done.stderr.splitlines()]


def test_python_warnings_are_logged_as_json_too() -> None:
    """A library's warning would otherwise be printed on lines of its own, beside the JSON."""
    [record] = json_lines_of("import warnings; warnings.warn('mind the gap')")
    assert record["logger"] == "py.warnings" and "mind the gap" in record["message"]


def test_an_exception_that_ends_a_thread_is_logged_as_json_too() -> None:
    program = (
        "import threading\n"
        "def fail(): raise RuntimeError('lost')\n"
        "thread = threading.Thread(target=fail, name='reload'); thread.start(); thread.join()"
    )
    [record] = json_lines_of(program)
    assert record["level"] == "ERROR" and record["message"].startswith("reload failed")
    assert "RuntimeError: lost" in record["traceback"]
