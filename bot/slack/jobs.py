"""Work each worker does on a timer, outside any request: owners' review reminders (with a bot
token: installs through OAuth have none to DM owners with), and reading the wordings editors
taught in any worker.

Every worker runs the jobs; the store decides which one acts (a reminder is claimed by an
insert-once row), so several workers send each reminder once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.answers import today_utc
from bot.core.reviews import stale_entries
from bot.render.learning import review_reminder
from bot.slack.delivery import describe_api_error
from bot.slack.deps import Serving

log = logging.getLogger(__name__)

REMINDER_EVERY_S = 3600.0  # checked hourly: each due date is reminded once, on the day it comes
LEARNED_EVERY_S = 2.0  # a wording taught in any worker answers in every worker within 5 s


class Periodic:
    """Runs `work` now and then every `every` seconds on a daemon thread until `stop`; an
    exception is logged and the next run still happens."""

    def __init__(self, name: str, every: float, work: Callable[[], object]) -> None:
        self._name = name
        self._every = every
        self._work = work
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self._work()
            except Exception as error:
                log.error("%s failed: %r", self._name, error, exc_info=error)
            self._stopped.wait(self._every)


def team_id_of(client: WebClient) -> str:
    """The workspace the bot token belongs to (`auth.test`)."""
    return str(client.auth_test()["team_id"])


def send_review_reminders(serving: Serving, client: WebClient, today: date) -> int:
    """DM the owner of each entry past its review date, once per due date across workers;
    return how many were sent. A reminder Slack refused is released, to be sent next time."""
    deps = serving.deps
    owned = [entry for entry in stale_entries(deps.answers.knowledge, today) if entry.owner]
    if not owned:
        return 0
    team_id = team_id_of(client)
    sent = 0
    for entry in owned:
        if entry.owner is None or entry.review_due is None:
            continue
        due_on = entry.review_due
        if not deps.memory.claim_review_reminder(team_id=team_id, entry_id=entry.id, due_on=due_on):
            continue
        message = review_reminder(entry, today)
        try:
            client.chat_postMessage(channel=entry.owner, text=message.text, blocks=message.blocks)
        except SlackApiError as error:
            deps.memory.release_review_reminder(team_id=team_id, entry_id=entry.id, due_on=due_on)
            log.warning(
                "review reminder for %s not sent: Slack API %s", entry.id, describe_api_error(error)
            )
            continue
        sent += 1
    if sent:
        log.info("sent %d review reminder(s)", sent)
    return sent


def start_jobs(serving: Serving, client: WebClient) -> list[Periodic]:
    """Start this worker's timed jobs; they stop with the process."""

    def remind() -> None:
        send_review_reminders(serving, client, today_utc())

    def learn() -> None:
        serving.refresh_learned()

    jobs = [Periodic("taught wordings", LEARNED_EVERY_S, learn).start()]
    if serving.oauth is not None:
        # An entry names its owner by user id, in no particular workspace; with installs in
        # many there is no one bot token to DM them with.
        log.info("review reminders are not sent with installs through OAuth: see check --stale")
        return jobs
    return [*jobs, Periodic("review reminders", REMINDER_EVERY_S, remind).start()]
