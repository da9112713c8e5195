"""bench_http's peer: the least a Bolt app over HTTP can do with the same requests.

Stock Bolt behind its own ASGI adapter under uvicorn (as many workers as ours), verifying each
signature and acking inline (`process_before_response=True`): a slash command's listener only
acks, a mention's does nothing. No matching, no answer, no store. Settings come from the same
environment as `vmdocker serve` (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL).

    python -m benchmarks.bare_bolt --port 3001 [--workers 2]
"""

from __future__ import annotations

import argparse
import os

import uvicorn
from slack_bolt import Ack, App
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_sdk import WebClient


def ack_only(ack: Ack) -> None:
    ack()


def do_nothing() -> None:
    """Bolt acks the event once this returns."""


def create_app() -> SlackRequestHandler:
    """uvicorn's app factory, one per worker."""
    app = App(
        client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        token_verification_enabled=False,
        process_before_response=True,
    )
    app.command("/vmdocker")(ack_only)
    app.event("app_mention")(do_nothing)
    return SlackRequestHandler(app)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    uvicorn.run(
        "benchmarks.bare_bolt:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
