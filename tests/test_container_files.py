"""The Dockerfile and compose.yaml, read as text (no container daemon here): the image installs
the project from pyproject.toml as `make install` does, runs as a non-root user, serves on all
interfaces with a health check, and compose waits for PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.config import Settings
from bot.render.images import FONT_DIRS
from bot.slack.launch import STOP_MARGIN_S
from tests.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_the_image_installs_what_make_install_installs() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"pip install [^\n]*-e '\.\[dev\]'", makefile)  # the project, by pyproject
    installs = re.findall(r"pip install[^\n\\]*", DOCKERFILE)
    assert any(line.rstrip().endswith(" .") for line in installs), installs
    assert "requirements" not in DOCKERFILE
    assert not list(ROOT.glob("requirements*.txt"))


def test_the_image_serves_as_a_non_root_user_with_a_health_check() -> None:
    assert re.search(r"^FROM python:3\.11-slim AS build$", DOCKERFILE, re.MULTILINE)
    assert re.search(r"^USER vmdocker$", DOCKERFILE, re.MULTILINE)
    assert "/healthz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
    assert '"vmdocker", "serve", "--host", "0.0.0.0"' in DOCKERFILE
    assert "VMDOCKER_KNOWLEDGE_DIR=/app/knowledge" in DOCKERFILE


def test_the_default_sqlite_store_lands_in_a_folder_the_user_owns_on_a_volume() -> None:
    """DATABASE_URL's default is a path relative to the working directory: a root-owned one
    would leave the bot without its store ("unable to open database file")."""
    assert Settings().database_url == "sqlite:///vmdocker.sqlite3"
    assert re.search(r"^WORKDIR /data$", DOCKERFILE, re.MULTILINE)
    assert re.search(r"^VOLUME /data$", DOCKERFILE, re.MULTILINE)
    assert re.search(r"chown vmdocker /data\b", DOCKERFILE)


def test_the_image_has_the_diagrams_font() -> None:
    """Without it the diagrams fall back to Pillow's own font, in one weight."""
    served = DOCKERFILE.rsplit("\nFROM ", 1)[1]
    assert "fonts-dejavu-core" in served
    assert Path("/usr/share/fonts/truetype/dejavu") in FONT_DIRS  # where Debian's package puts it


def test_compose_runs_the_bot_after_postgres_is_healthy() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "healthcheck" in db and "vmdocker-db" in compose["volumes"]
    grace = Settings().drain_grace_seconds + STOP_MARGIN_S  # serve's longest stop
    assert int(bot["stop_grace_period"].removesuffix("s")) >= grace


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git", "*.sqlite3"} <= set(ignored)
