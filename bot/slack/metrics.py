"""What `/metrics` exposes, in Prometheus' text format (prometheus-client).

With several `vmdocker serve` workers, each process writes its figures to
PROMETHEUS_MULTIPROC_DIR (`serve` sets one up) and `/metrics` in any of them sums them all.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slack.launch import MULTIPROC_DIR

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

QUESTIONS = Counter(
    "vmdocker_questions_total", "Questions asked, by surface and band", ["surface", "band"]
)
ANSWER_SECONDS = Histogram(
    "vmdocker_answer_seconds",
    "From a question's arrival in a listener to its answer sent",
    buckets=LATENCY_BUCKETS,
)
ACK_SECONDS = Histogram(
    "vmdocker_ack_seconds", "HTTP requests from Slack, arrival to response", buckets=LATENCY_BUCKETS
)
SLACK_CALLS = Counter("vmdocker_slack_api_calls_total", "Slack Web API calls", ["method"])
SLACK_ERRORS = Counter(
    "vmdocker_slack_api_errors_total", "Slack Web API calls that failed", ["method", "error"]
)
INBOX_DEPTH = Gauge(
    "vmdocker_inbox_depth",
    "Requests acked and not yet done, in the whole store",
    multiprocess_mode="mostrecent",
)
STORE_ERRORS = Counter("vmdocker_store_errors_total", "Store operations that failed", ["what"])
KNOWLEDGE_ENTRIES = Gauge(
    "vmdocker_knowledge_entries",
    "Entries in the knowledge a process serves, by version (0: a version it served before)",
    ["version"],
    multiprocess_mode="liveall",
)


class MetricFiles(Collector):
    """What every process wrote to the multiprocess folder, summed as prometheus_client's
    MultiProcessCollector sums it, passing over files still empty. A process creates its file
    before it sizes it: a scrape in that instant would fail whole, and every scrape after it
    when the process died then (prometheus/client_python#1199)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def collect(self) -> Iterable[Metric]:
        try:
            return self._merge()
        except FileNotFoundError:  # a gone process's gauges, removed after the listing
            return self._merge()

    def _merge(self) -> Iterable[Metric]:
        files = []
        for path in self.folder.glob("*.db"):
            with suppress(FileNotFoundError):
                if path.stat().st_size:
                    files.append(str(path))
        merged: Iterable[Metric] = multiprocess.MultiProcessCollector.merge(  # type: ignore[no-untyped-call]
            files, accumulate=True
        )
        return merged


def exposition() -> tuple[bytes, str]:
    """The metrics of this process, or of every worker when they share a multiprocess dir."""
    if folder := os.environ.get(MULTIPROC_DIR):
        registry = CollectorRegistry()
        registry.register(MetricFiles(Path(folder)))
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


_versions_served: set[str] = set()  # by this process, since it started


def knowledge_loaded(entries: int, version: str) -> None:
    """Say which knowledge serves now: its entry count under its version label. The versions
    this process served before read 0 from now on, since multiprocess mode cannot drop a label."""
    for before in _versions_served - {version}:
        KNOWLEDGE_ENTRIES.labels(version=before).set(0)
    _versions_served.add(version)
    KNOWLEDGE_ENTRIES.labels(version=version).set(entries)


class MeteredWebClient(WebClient):
    """A WebClient that counts every Web API call and every error, by method and code."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        SLACK_CALLS.labels(method=api_method).inc()
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            data = error.response.data
            code = data.get("error") if isinstance(data, dict) else None
            SLACK_ERRORS.labels(
                method=api_method, error=code or f"http_{error.response.status_code}"
            ).inc()
            raise
