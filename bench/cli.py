"""Benchmark quick CLI commands: `paperboy search` and `--help` as fresh processes, by import cost.

    .venv/bin/python bench/cli.py
    .venv/bin/python bench/cli.py --runs 40 --papers 5000

Each command runs as a subprocess, the way a user runs it, N times (after one warm-up run
each), the commands taking turns so that noise spreads evenly over them. The floors, in the
same run: `python -c pass` (the interpreter alone), `python -c 'import typer'` (the CLI
framework alone) and a typer command shaped like `search` that does nothing but import the
libraries `search` cannot do without. `paperboy search diffusion` reads a temp-file Store
holding synthetic papers (bench/_common.PaperFactory), with no chat platform's tokens set and
a temp working directory (so no `.env` file is read). Bytecode is cached in a temp dir (as
after `pip install`, which compiles it) unless --no-pyc. Then, in one more subprocess per CLI
row, which heavy libraries the command left in `sys.modules`.

The code measured is the `bot` package this interpreter imports: set PYTHONPATH to a checkout
(e.g. a `git worktree` of an older commit) to measure that one with the same script.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import DEFAULT_SEED, PaperFactory, Timing, console, environment, ms
from rich.table import Table

import bot
from storage.store import Store

TARGET_SEARCH = 0.250  # seconds, median of `paperboy search` on a small archive
QUERY = "diffusion"
# Libraries a quick command should not load (the platforms', their HTTP client's and the
# scheduler's), and the ones a command pays for when it uses them.
HEAVY = ("discord", "slack_bolt", "slack_sdk", "aiohttp", "apscheduler")
OTHERS = ("pydantic_settings", "httpx", "sqlite_utils", "rich", "typer")
# What `paperboy search` cannot do without: a typer command with its parameters (typer coerces
# them with pydantic), its output's library and its storage's.
SEARCH_FLOOR = """
import rich.console, sqlite_utils, typer
def search(query: str, limit: int = 10, as_json: bool = False) -> None:
    print(f"results for {query}")
typer.run(search)
"""
# Runs the CLI in-process as the console script does, then reports what it imported.
PROBE = """
import json, sys
argv, names = json.loads(sys.argv[1]), json.loads(sys.argv[2])
if argv:
    sys.argv = ["paperboy", *argv]
    from bot.app.cli import main
    try:
        main()
    except SystemExit:
        pass
else:
    import bot.app.cli
sys.stderr.write("\\nPROBE " + json.dumps([n for n in names if n in sys.modules]
                                          + [str(len(sys.modules))]) + "\\n")
"""


@dataclass(frozen=True)
class Case:
    """One command line to time."""

    label: str
    argv: tuple[str, ...]
    cli_args: tuple[str, ...] | None = None  # the paperboy arguments, for the module probe
    expect: str = ""  # text its stdout must contain


def cases(python: str, paperboy: str) -> list[Case]:
    """The floors, the import, and the quick commands."""
    return [
        Case("python -c pass", (python, "-c", "pass")),
        Case("python -c 'import typer'", (python, "-c", "import typer")),
        Case(
            "typer command like search's, doing nothing, + rich, sqlite_utils",
            (python, "-c", SEARCH_FLOOR, QUERY),
        ),
        Case("python -c 'import bot.app.cli'", (python, "-c", "import bot.app.cli"), ()),
        Case(
            f"paperboy search {QUERY}",
            (paperboy, "search", QUERY),
            ("search", QUERY),
            f"results for {QUERY}",
        ),
        Case("paperboy --help", (paperboy, "--help"), ("--help",), "search"),
    ]


def make_archive(path: Path, papers: int) -> None:
    """A Store file holding `papers` synthetic papers, a day's batch per upsert."""
    store = Store(path)
    made = PaperFactory(DEFAULT_SEED).make(papers)
    for start in range(0, len(made), 60):
        store.upsert_papers(made[start : start + 60])
    store.close()


def clean_env(db: Path, pycache: Path | None) -> dict[str, str]:
    """This environment without paperboy's, Slack's or Discord's settings, and the temp DB;
    with `pycache`, bytecode is cached there (as after `pip install`, which compiles it)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "PAPERBOY_", "HF_TOKEN"))
    }
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)  # not beside the sources: no files in the tree
    return env | {"PAPERBOY_DB": str(db)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(case: Case, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall seconds from spawn to exit of one run, and its CPU seconds (user + system: what
    the machine's other load changes least); checks its exit code and output."""
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(
        case.argv,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    elapsed, used = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0 or case.expect not in done.stdout:
        raise SystemExit(f"{case.label} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed, used


def time_all(
    todo: list[Case], runs: int, env: dict[str, str], cwd: Path
) -> list[tuple[Timing, Timing]]:
    """(wall, CPU) of `runs` runs of each case after one warm-up each, the cases taking turns."""
    for case in todo:
        run_once(case, env, cwd)
    samples: list[list[tuple[float, float]]] = [[] for _ in todo]
    for _ in range(runs):
        for case, mine in zip(todo, samples, strict=True):
            mine.append(run_once(case, env, cwd))
    return [(Timing(tuple(w for w, _ in s)), Timing(tuple(c for _, c in s))) for s in samples]


def loaded(case: Case, env: dict[str, str], cwd: Path) -> tuple[list[str], int] | None:
    """The HEAVY and OTHERS modules a CLI case leaves imported, and how many modules in all."""
    if case.cli_args is None:
        return None
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(case.cli_args), json.dumps(HEAVY + OTHERS)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=True,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("PROBE "))
    *names, total = json.loads(line.removeprefix("PROBE "))
    return names, int(total)


def table(
    todo: list[Case],
    timings: list[tuple[Timing, Timing]],
    modules: list[tuple[list[str], int] | None],
    papers: int,
) -> Table:
    """Each command's median and p95 beside the floors, and what it imported."""
    floor = timings[0][0].median
    t = Table(
        "command",
        "median ms",
        "p95 ms",
        "CPU median ms",
        "− python ms",
        "× python",
        "target",
        "heavy loaded",
        "others loaded",
        "modules",
        title=f"quick CLI commands, fresh processes ({papers:,} papers stored)",
    )
    for case, (timing, cpu), mods in zip(todo, timings, modules, strict=True):
        names, total = mods if mods else ([], 0)
        target = ""
        if case.argv[1:2] == ("search",):
            verdict = "met" if timing.median < TARGET_SEARCH else "MISSED"
            target = f"< {ms(TARGET_SEARCH)} ({verdict})"
        t.add_row(
            case.label,
            ms(timing.median),
            ms(timing.p95),
            ms(cpu.median),
            ms(timing.median - floor),
            f"{timing.median / floor:.1f}",
            target,
            ", ".join(n for n in names if n in HEAVY) or ("none" if mods else ""),
            ", ".join(n for n in names if n in OTHERS) or ("none" if mods else ""),
            str(total) if mods else "",
        )
    return t


def bytecode(no_pyc: bool) -> str:
    """How the subprocesses got their bytecode, in words."""
    if not no_pyc:
        return "cached in a temp dir by the warm-up runs"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return "not written (PYTHONDONTWRITEBYTECODE): sources without a .pyc compile every run"
    return "this environment's default (__pycache__ beside the sources)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=10, help="timed runs per command (10; full: 40)"
    )
    parser.add_argument("--papers", type=int, default=42, help="papers in the archive (42)")
    parser.add_argument(
        "--no-pyc",
        action="store_true",
        help="keep this environment's bytecode setting (PYTHONDONTWRITEBYTECODE "
        "compiles paperboy's sources in every run) instead of a bytecode cache",
    )
    args = parser.parse_args()
    if args.runs <= 0 or args.papers <= 0:
        raise SystemExit("--runs and --papers must be positive")
    out = console()
    paperboy = str(Path(sys.executable).with_name("paperboy"))
    todo = cases(sys.executable, paperboy)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "archive.db"
        make_archive(db, args.papers)
        env = clean_env(db, None if args.no_pyc else tmp / "pycache")
        timings = time_all(todo, args.runs, env, tmp)
        modules = [loaded(case, env, tmp) for case in todo]
    out.print(table(todo, timings, modules, args.papers))
    out.print(
        f"Median and p95 (nearest rank; the worst under 20 runs) of {args.runs} runs each after "
        f"one warm-up, wall clock from spawn to exit; CPU is the process's user + system time. "
        f"Code measured: "
        f"{Path(bot.__file__).resolve().parent}. Bytecode: {bytecode(args.no_pyc)}. "
        f"{environment()}"
    )


if __name__ == "__main__":
    main()
