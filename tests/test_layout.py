"""The floor plan as a contract: imports point one way (slack -> render/core -> store records),
the core and render never touch Slack, the store knows no domain, and no module imports itself
back through others. Every listener is a named module-level function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.answers import Answers
from bot.slack.app import build_app
from bot.store.memory import InProcessMemory

BOT = Path(__file__).resolve().parent.parent / "bot"

FORBIDDEN = {
    "bot.core": ("slack_bolt", "slack_sdk", "bot.slack", "bot.render", "bot.cli", "sqlalchemy"),
    "bot.render": ("slack_bolt", "slack_sdk", "bot.slack", "bot.cli", "sqlalchemy"),
    "bot.store": ("bot.core", "bot.config", "bot.render", "bot.slack", "bot.cli"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports at its top level or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


IMPORTS = {module_name(path): imports_of(path) for path in sorted(BOT.rglob("*.py"))}


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_import_only_what_the_layout_allows(package: str) -> None:
    broken = sorted(
        f"{module} imports {imported}"
        for module, imported_modules in IMPORTS.items()
        if within(module, package)
        for imported in imported_modules
        for banned in FORBIDDEN[package]
        if within(imported, banned)
    )
    assert broken == []


def test_no_module_imports_itself_back_through_others() -> None:
    graph = {
        module: {target for target in targets if target in IMPORTS and target != module}
        for module, targets in IMPORTS.items()
    }
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(graph[module]):
            if target in path:
                cycles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert cycles == []


def test_every_listener_is_a_named_module_level_function(answers: Answers) -> None:
    settings = load_settings(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="secret")
    app = build_app(settings, answers=answers, memory=InProcessMemory())
    functions = [listener.ack_function for listener in app._listeners]
    assert len(functions) >= 17
    for function in functions:
        assert function.__module__.startswith("bot.slack.listeners."), function
        assert "<locals>" not in function.__qualname__, function.__qualname__
