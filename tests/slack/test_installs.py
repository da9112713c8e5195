"""Installs in many workspaces: `vmdocker serve` with SLACK_CLIENT_ID/SECRET and no bot token.

Workspaces install through `GET /slack/install` and `GET /slack/oauth_redirect` on the real
HTTP edge (the mock Slack answering `oauth.v2.access`); each is then answered with its own bot
token (the Authorization header the mock sees), keeps its own records, and loses its tokens
(and, on request, its records) when it uninstalls.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from slack_bolt import BoltContext
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import create_engine, select

from bot.core.answers import Answers
from bot.slack.app import open_store_for
from bot.slack.oauth import Installs
from bot.slack.server import HttpApp, build_http_app
from bot.store.database import Store, create_store_engine
from bot.store.memory import InProcessMemory
from bot.store.schema import slack_tables
from tests.support import MockSlack, assert_valid_delivery
from tests.support.harness import harness_settings, start_harness, wait_until
from tests.support.mock_api import Call, Install
from tests.support.signed import PERSON, Signer, direct_message, home_opened, mention

ACME, GLOBEX = "T0ACME0001", "T0GLOBEX01"
ORG, ORG_WORKSPACE = "E0ORG00001", "T0ORGWS001"
CLIENT_ID = "1111.2222"
LONG_AGO = datetime(2000, 1, 1)

Message = dict[str, Any]


class Browser:
    """Requests to the ASGI app as a browser (GETs with the cookies it was given) and as
    Slack (signed POSTs) make them."""

    def __init__(self, app: HttpApp) -> None:
        self.app = app
        self.cookies: SimpleCookie = SimpleCookie()
        self.signer = Signer()

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        target = urlsplit(path)
        raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        raw.append((b"content-length", str(len(body)).encode()))
        if self.cookies:
            jar = "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())
            raw.append((b"cookie", jar.encode()))
        scope = {
            "type": "http",
            "method": method,
            "path": target.path,
            "query_string": target.query.encode(),
            "headers": raw,
            "client": ("203.0.113.9", 5555),
        }
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        asyncio.run(self.app(scope, receive, send))
        start = next(m for m in sent if m["type"] == "http.response.start")
        answered = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
        if "set-cookie" in answered:
            self.cookies.load(answered["set-cookie"])
        text = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return start["status"], answered, text.decode()

    def install(self, mock: MockSlack, workspace: Install) -> int:
        """Open the install page, follow its link (Slack: someone approves), come back."""
        status, _, page = self.request("GET", "/slack/install")
        assert status == 200 and "Add to Slack" in page
        link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page)
        assert link is not None
        query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
        assert query["client_id"] == [CLIENT_ID] and "chat:write" in query["scope"][0]
        code = mock.approve(workspace)
        back = urlencode({"code": code, "state": query["state"][0]})
        status, _, _ = self.request("GET", f"/slack/oauth_redirect?{back}")
        return status

    def event(self, event: Message, **envelope: Any) -> int:
        signed = self.signer.event(event, **envelope)
        status, _, _ = self.request("POST", "/slack/events", signed.body.encode(), signed.headers)
        return status


@pytest.fixture
def url(database_url: str) -> str:
    """SQLite, and PostgreSQL when VMDOCKER_TEST_POSTGRES_URL is set."""
    return database_url


def oauth_app(mock: MockSlack, answers: Answers, url: str, **settings: object) -> HttpApp:
    mock.reset()
    return build_http_app(
        harness_settings(
            mock,
            SLACK_BOT_TOKEN="",
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET="client-secret",
            DATABASE_URL=url,
            ADMIN_USER_IDS=PERSON,
            **settings,
        ),
        answers=answers,
    )


@pytest.fixture
def browser(mock: MockSlack, answers: Answers, url: str) -> Iterator[Browser]:
    app = oauth_app(mock, answers, url)
    yield Browser(app)
    app.readiness.store.close()


def token_of(mock: MockSlack, team: str) -> str:
    [token] = [
        t for t, install in mock.tokens.items() if team in (install.team_id, install.enterprise_id)
    ]
    return token


def reply_in(mock: MockSlack, channel: str) -> Call:
    [reply, *_] = mock.deliveries_to(channel)
    assert_valid_delivery(reply)
    return reply


def home_of(mock: MockSlack, browser: Browser, team: str, user: str = PERSON) -> Call:
    published = len(mock.calls_to("views.publish"))
    assert browser.event(home_opened(user), team_id=team) == 200
    home = mock.wait_for("views.publish", count=published + 1)[-1]
    assert_valid_delivery(home)
    return home


def installed_teams(url: str) -> set[str | None]:
    slack_installations, slack_bots, _ = slack_tables()
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(slack_installations.c.team_id)).all()
        bots = connection.execute(select(slack_bots.c.team_id)).all()
    engine.dispose()
    return {team for (team,) in rows} | {team for (team,) in bots}


def test_two_workspaces_install_and_each_is_answered_with_its_own_token(
    mock: MockSlack, browser: Browser, url: str
) -> None:
    assert browser.install(mock, Install(ACME)) == 200
    browser.cookies.clear()  # another person, another browser
    assert browser.install(mock, Install(GLOBEX)) == 200
    assert installed_teams(url) == {ACME, GLOBEX}

    assert browser.event(mention("what is a container?", channel="C0ACME0001"), team_id=ACME) == 200
    assert (
        browser.event(mention("how do I bake bread", channel="C0GLOBEX01"), team_id=GLOBEX) == 200
    )
    acme_reply, globex_reply = reply_in(mock, "C0ACME0001"), reply_in(mock, "C0GLOBEX01")
    assert mock.token_of(acme_reply) == token_of(mock, ACME)
    assert mock.token_of(globex_reply) == token_of(mock, GLOBEX)
    assert token_of(mock, ACME) != token_of(mock, GLOBEX)
    wait_for_questions(url, {ACME: 1, GLOBEX: 1})  # recorded after the reply went out

    acme_home, globex_home = home_of(mock, browser, ACME), home_of(mock, browser, GLOBEX)
    assert mock.token_of(acme_home) == token_of(mock, ACME)
    assert mock.token_of(globex_home) == token_of(mock, GLOBEX)
    acme_view, globex_view = str(acme_home.body["view"]), str(globex_home.body["view"])
    assert "Insights" in acme_view and "Insights" in globex_view
    assert "100%" in acme_view and "bake bread" not in acme_view  # its one question: answered
    assert "0%" in globex_view and "how do I bake bread" in globex_view


def test_whoever_installed_sees_the_insights_of_that_workspace_only(
    mock: MockSlack, browser: Browser
) -> None:
    browser.install(mock, Install(ACME, installer="U0ACMEADM1"))
    browser.cookies.clear()
    browser.install(mock, Install(GLOBEX, installer="U0GLOBADM1"))
    assert "Insights" in str(home_of(mock, browser, ACME, "U0ACMEADM1").body["view"])
    assert "Insights" not in str(home_of(mock, browser, GLOBEX, "U0ACMEADM1").body["view"])
    assert "Insights" not in str(home_of(mock, browser, ACME, "U0SOMEONE1").body["view"])


def test_the_redirect_checks_the_state_and_installs_nothing_without_it(
    mock: MockSlack, browser: Browser, url: str
) -> None:
    browser.request("GET", "/slack/install")
    code = mock.approve(Install(ACME))
    status, _, page = browser.request("GET", f"/slack/oauth_redirect?code={code}&state=forged")
    assert status == 400 and "OAuth flow" in page  # not the state this browser was given
    browser.cookies.load("slack-app-oauth-state=forged")
    status, _, _ = browser.request("GET", f"/slack/oauth_redirect?code={code}&state=forged")
    assert status == 401  # the browser agrees, but no such state was issued
    assert installed_teams(url) == set()
    assert mock.calls_to("oauth.v2.access") == []
    status, _, _ = browser.request("POST", "/slack/install")
    assert status == 404  # only GETs reach the flow


def test_a_state_is_good_for_one_install(mock: MockSlack, browser: Browser, url: str) -> None:
    assert browser.install(mock, Install(ACME)) == 200
    [state] = [morsel.value for morsel in browser.cookies.values()]
    code = mock.approve(Install(GLOBEX))
    status, _, _ = browser.request("GET", f"/slack/oauth_redirect?code={code}&state={state}")
    assert status == 401
    assert installed_teams(url) == {ACME}


def test_a_workspace_that_uninstalls_loses_its_tokens_and_keeps_its_records(
    mock: MockSlack, browser: Browser, url: str
) -> None:
    browser.install(mock, Install(ACME))
    browser.cookies.clear()
    browser.install(mock, Install(GLOBEX))
    browser.event(mention("how do I bake bread", channel="C0ACME0001"), team_id=ACME)
    reply_in(mock, "C0ACME0001")
    wait_for_questions(url, {ACME: 1})

    assert browser.event({"type": "app_uninstalled", "event_ts": "1.2"}, team_id=ACME) == 200
    wait_for_teams(url, {GLOBEX})
    store = Store.from_url(url)
    assert store.usage(since=LONG_AGO, team_id=ACME).unanswered == ["how do I bake bread"]
    store.close()


def test_with_delete_data_on_uninstall_its_records_go_too(
    mock: MockSlack, answers: Answers, url: str
) -> None:
    app = oauth_app(mock, answers, url, DELETE_DATA_ON_UNINSTALL="true")
    browser = Browser(app)
    browser.install(mock, Install(ACME))
    browser.cookies.clear()
    browser.install(mock, Install(GLOBEX))
    for team in (ACME, GLOBEX):
        browser.event(mention("how do I bake bread", channel=f"C{team[1:]}"), team_id=team)
        reply_in(mock, f"C{team[1:]}")
    wait_for_questions(url, {ACME: 1, GLOBEX: 1})

    browser.event({"type": "app_uninstalled", "event_ts": "1.2"}, team_id=ACME)
    wait_for_teams(url, {GLOBEX})
    store = Store.from_url(url)
    wait_until(lambda: store.usage(since=LONG_AGO, team_id=ACME).unanswered == [])
    assert store.usage(since=LONG_AGO, team_id=GLOBEX).unanswered == ["how do I bake bread"]
    store.close()
    app.readiness.store.close()


def test_with_a_bot_token_an_uninstall_deletes_that_workspaces_records_on_request(
    mock: MockSlack, answers: Answers, url: str
) -> None:
    store = open_store_for(harness_settings(mock, DATABASE_URL=url))
    slack = start_harness(mock, answers, memory=store, DELETE_DATA_ON_UNINSTALL="true")
    slack.send_event(direct_message("how do I bake bread"))
    reply_in(mock, "D0PERSON01")

    def misses() -> list[str]:
        usage = store.usage(since=LONG_AGO)
        return usage.unanswered if usage else []

    wait_until(lambda: misses() == ["how do I bake bread"])
    slack.send_event({"type": "app_uninstalled", "event_ts": "1.2"})
    wait_until(lambda: misses() == [])
    store.close()


def test_a_revoked_bot_token_is_deleted(mock: MockSlack, browser: Browser, url: str) -> None:
    browser.install(mock, Install(ACME))
    revoked = {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT00001"]}, "event_ts": "1.2"}
    assert browser.event(revoked, team_id=ACME) == 200
    wait_for_teams(url, set())


def test_a_rotating_token_is_refreshed_before_it_expires_and_stored(
    mock: MockSlack, browser: Browser, url: str
) -> None:
    browser.install(mock, Install(ACME, expires_in=600))  # less than the 2 h Bolt refreshes at
    [first] = mock.tokens
    browser.event(mention("what is a container?", channel="C0ACME0001"), team_id=ACME)
    reply = reply_in(mock, "C0ACME0001")
    [refresh] = [c for c in mock.calls_to("oauth.v2.access") if c.body.get("grant_type")]
    assert refresh.body["grant_type"] == "refresh_token"
    assert mock.token_of(reply) not in ("", first)
    _, slack_bots, _ = slack_tables()
    engine = create_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(select(slack_bots.c.bot_token)).scalars().all()
    engine.dispose()
    assert mock.token_of(reply) in stored


def test_an_org_wide_install_answers_every_workspace_of_the_org_as_one(
    mock: MockSlack, browser: Browser, url: str
) -> None:
    assert browser.install(mock, Install(None, enterprise_id=ORG)) == 200
    event = mention("how do I bake bread", channel="C0ORGCHAN1")
    assert browser.event(event, team_id=ORG_WORKSPACE, enterprise_id=ORG, org_wide=True) == 200
    reply = reply_in(mock, "C0ORGCHAN1")
    assert mock.token_of(reply) == token_of(mock, ORG)
    store = Store.from_url(url)
    wait_until(lambda: store.usage(since=LONG_AGO, team_id=ORG).unanswered != [])
    assert store.usage(since=LONG_AGO, team_id=ORG_WORKSPACE).unanswered == []
    store.close()


def test_readiness_asks_slack_without_a_token(mock: MockSlack, browser: Browser) -> None:
    status, _, body = browser.request("GET", "/readyz")
    assert status == 200 and '"slack": true' in body
    assert [c.method for c in mock.calls if c.method in ("auth.test", "api.test")] == ["api.test"]


def wait_for_questions(url: str, counts: dict[str, int]) -> None:
    store = Store.from_url(url)

    def recorded() -> dict[str, int]:
        return {
            team: sum(c.count for c in store.usage(since=LONG_AGO, team_id=team).counts)
            for team in counts
        }

    wait_until(lambda: recorded() == counts)
    store.close()


def wait_for_teams(url: str, teams: set[str]) -> None:
    """Installs are deleted by the listener, after the ack."""
    wait_until(lambda: installed_teams(url) == teams)


def test_a_database_fault_around_installs_is_one_log_line_and_no_admin(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = create_store_engine(f"sqlite:///{tmp_path}/no/such/folder/store.sqlite3")
    installs = Installs(
        store=SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=unreachable),
        memory=InProcessMemory(),
        delete_data=False,
    )
    context = BoltContext(team_id=ACME, enterprise_id=None, is_enterprise_install=False)
    assert installs.installed_by("U0ACMEADM1", context) is False
    installs.uninstalled(context)
    problems = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(problems) == 2
    assert problems[0].startswith("installs: could not find the installer: OperationalError")
    assert problems[1].startswith(f"installs: could not delete the tokens of {ACME}: Operational")
    assert all("\n" not in line for line in problems)
