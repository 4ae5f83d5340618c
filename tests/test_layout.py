"""House rules that code review forgets: the dependency rule, and a README that tells the truth."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.app.config import env_vars
from bot.commands.table import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLATFORM_LIBS = {"slack_bolt", "slack_sdk", "discord"}
# Which parts of the core each part of the core may import (besides itself). `bot.app`, the
# wiring (composition root, scheduler, configuration, CLI), may import everything.
CORE_RULES: dict[str, set[str]] = {
    "bot.domain": set(),
    "bot.ports": {"bot.domain"},
    "bot.query": {"bot.domain"},
    "bot.feed": {"bot.domain"},
    # "papers like these": similarity engines, seeds, the matcher
    "bot.similarity": {"bot.domain", "bot.ports", "bot.query", "bot.feed"},
    "bot.delivery": {"bot.domain", "bot.ports", "bot.query", "bot.feed", "bot.similarity"},
    # feeds out of paperboy: what a channel received, as RSS, Atom, JSON Feed and BibTeX
    "bot.syndication": {"bot.domain", "bot.ports", "bot.delivery"},
    "bot.service": {
        "bot.domain",
        "bot.ports",
        "bot.query",
        "bot.feed",
        "bot.delivery",
        "bot.similarity",
    },
    "bot.backfill": {"bot.domain", "bot.ports", "bot.feed", "bot.service"},
    "bot.commands": {
        "bot.domain",
        "bot.ports",
        "bot.query",
        "bot.feed",
        "bot.delivery",
        "bot.similarity",
        "bot.syndication",
        "bot.service",
    },
}
WIRING = "bot.app"
# What the adapters may use of the core: its types and the command table.
ADAPTER_CORE = {"bot.domain", "bot.ports", "bot.commands"}


def _imports(path: Path, package: tuple[str, ...] | None = None) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if package is None:
        package = path.relative_to(ROOT).parent.parts
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # `from ..storage import x` counts as much as `from storage import x`
            base = package[: len(package) - node.level + 1] if node.level else ()
            names.add(".".join([*base, *([node.module] if node.module else [])]))
    return {_part(name) for name in names}


def _part(name: str) -> str:
    """`bot.delivery.alerts` -> `bot.delivery`; `slack_sdk.web` -> `slack_sdk`."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "bot" and len(parts) > 1 else parts[0]


def _module_part(path: Path) -> str:
    return _part(".".join(path.relative_to(ROOT).with_suffix("").parts))


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _core_modules() -> list[Path]:
    return [
        p
        for p in _modules("bot")
        if _module_part(p) not in {WIRING, "bot.__init__", "bot.__main__"}
    ]


@pytest.mark.parametrize("path", _core_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_adapters_storage_or_platform_libraries(path: Path) -> None:
    forbidden = _imports(path) & ({"adapters", "storage"} | PLATFORM_LIBS)
    assert not forbidden, f"{path.relative_to(ROOT)} imports {forbidden}"


@pytest.mark.parametrize("path", _core_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_each_core_package_imports_only_the_packages_below_it(path: Path) -> None:
    own = _module_part(path)
    assert own in CORE_RULES, f"{own} has no rule in CORE_RULES: add one"
    core = {name for name in _imports(path) if name.startswith("bot.")} - {own}
    assert core <= CORE_RULES[own], f"{path.relative_to(ROOT)} imports {core - CORE_RULES[own]}"


def test_every_core_package_is_a_package_or_a_known_module() -> None:
    parts = {_module_part(p) for p in _core_modules()}
    assert parts == set(CORE_RULES), parts ^ set(CORE_RULES)


@pytest.mark.parametrize("path", _modules("adapters"), ids=lambda p: str(p.relative_to(ROOT)))
def test_adapters_never_import_storage_or_the_core_s_inner_parts(path: Path) -> None:
    imports = _imports(path)
    assert "storage" not in imports
    core = {name for name in imports if name.startswith("bot.")}
    assert core <= ADAPTER_CORE, f"{path.relative_to(ROOT)} imports {core - ADAPTER_CORE}"


@pytest.mark.parametrize("path", _modules("storage"), ids=lambda p: p.name)
def test_storage_imports_only_the_core_s_domain_types(path: Path) -> None:
    core = {name for name in _imports(path) if name.startswith("bot")}
    assert core <= {"bot.domain"}, f"{path.name} imports {core}"
    assert not _imports(path) & ({"adapters"} | PLATFORM_LIBS)


def test_readme_documents_every_environment_variable() -> None:
    for name, default, _help in env_vars():
        row = next((line for line in README.splitlines() if line.startswith(f"| `{name}`")), None)
        assert row is not None, f"README has no row for {name}"
        cells = [c.strip() for c in row.split("|")]
        assert cells[2].lower() == (f"`{default}`".lower() if default else "(none)"), row


def test_relative_imports_are_seen_by_the_import_walker(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("from ..storage import store\nfrom . import handlers\n", encoding="utf-8")
    assert _imports(module, package=("bot",)) >= {"storage", "bot"}


def test_readme_documents_every_command() -> None:
    for spec in COMMANDS:
        assert f"`{spec.name}" in README, f"README does not mention `{spec.name}`"


def test_quick_start_has_exactly_a_run_and_a_test_command() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick, flags=re.S)
    assert len(blocks) == 2
    assert all(len(b.strip().splitlines()) == 1 for b in blocks)
    run, test = (b.strip() for b in blocks)
    assert run.endswith("paperboy run")
    assert "pytest" in test and "ruff check" in test and "mypy" in test
    assert "ruff format --check" in test


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in script
    assert "<!-- test-command -->" in README
