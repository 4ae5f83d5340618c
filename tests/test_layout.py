"""House rules that code review forgets: the dependency rule, and a README that tells the truth."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.commands import COMMANDS
from bot.config import env_vars

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLATFORM_LIBS = {"slack_bolt", "slack_sdk", "discord"}
# The composition root and the CLI wiring may import every layer.
WIRING = {"bot/app.py", "bot/cli.py", "bot/__main__.py"}


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
    return {name.split(".")[0] if name.split(".")[0] != "bot" else name for name in names}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("bot"), ids=lambda p: p.name)
def test_core_never_imports_adapters_storage_or_platform_libraries(path: Path) -> None:
    if str(path.relative_to(ROOT)) in WIRING:
        return
    forbidden = _imports(path) & ({"adapters", "storage"} | PLATFORM_LIBS)
    assert not forbidden, f"{path.relative_to(ROOT)} imports {forbidden}"


@pytest.mark.parametrize("path", _modules("adapters"), ids=lambda p: p.name)
def test_adapters_never_import_storage(path: Path) -> None:
    assert "storage" not in _imports(path)


@pytest.mark.parametrize("path", _modules("storage"), ids=lambda p: p.name)
def test_storage_imports_only_domain_and_query_from_the_core(path: Path) -> None:
    core = {name for name in _imports(path) if name.startswith("bot")}
    assert core <= {"bot.domain", "bot.query"}, f"{path.name} imports {core}"
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


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in script
    assert "<!-- test-command -->" in README
