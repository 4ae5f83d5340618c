"""The Docker image, without a Docker engine: the Dockerfile's facts, its install steps replayed
in a fresh virtual environment, its health check run against a local server, and the compose
file and `.env.example` kept whole."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.app.config import env_vars

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: its keyword (upper case) and its arguments as written."""

    keyword: str
    args: str

    def exec_form(self) -> list[str] | None:
        """The arguments as a JSON array (exec form), or None for shell form."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value)
        return value


@dataclass
class Stage:
    """A build stage: its FROM arguments and its instructions."""

    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        """The stage's instructions of one kind, in order."""
        return [i for i in self.instructions if i.keyword == keyword]

    def one(self, keyword: str) -> Instruction:
        """The stage's last instruction of one kind (the one Docker keeps)."""
        found = self.all(keyword)
        assert found, f"no {keyword} in the stage FROM {self.base}"
        return found[-1]

    def env(self) -> dict[str, str]:
        """The stage's ENV settings (`ENV a=1 b=2` form)."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in shlex.split(instruction.args):
                name, _, value = word.partition("=")
                values[name] = value
        return values


def instructions(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile: comments dropped, `\\` continuations joined."""
    found: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = pending + stripped
        pending = ""
        keyword, _, args = whole.partition(" ")
        found.append(Instruction(keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return found


def stages(text: str) -> list[Stage]:
    """The build stages, in order."""
    result: list[Stage] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            words = instruction.args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            result.append(Stage(words[0], name))
        else:
            assert result, f"{instruction.keyword} before the first FROM"
            result[-1].instructions.append(instruction)
    return result


@pytest.fixture(scope="module")
def dockerfile() -> list[Stage]:
    return stages((ROOT / "Dockerfile").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final(dockerfile: list[Stage]) -> Stage:
    return dockerfile[-1]


# --------------------------------------------------------------------------- the parser


def test_the_parser_joins_continuations_and_reads_stages() -> None:
    text = (
        "# comment\nFROM a:1 AS build\nRUN one \\\n    # inside\n    two\n"
        'FROM b:2\nENV X=1 \\\n    Y="a b"\nCMD ["x", "y"]\n'
    )
    build, last = stages(text)
    assert (build.base, build.name, last.base, last.name) == ("a:1", "build", "b:2", None)
    assert build.one("RUN").args.split() == ["one", "two"]
    assert last.env() == {"X": "1", "Y": "a b"}
    assert last.one("CMD").exec_form() == ["x", "y"]


# --------------------------------------------------------------------------- the facts


def test_the_build_has_two_stages_on_one_pinned_slim_base(dockerfile: list[Stage]) -> None:
    assert len(dockerfile) >= 2 and dockerfile[0].name
    bases = {stage.base for stage in dockerfile}
    assert len(bases) == 1, bases  # the venv built in the first runs in the last
    (base,) = bases
    image, _, digest = base.partition("@")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", image), image
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), base


def test_the_final_stage_copies_the_built_venv_and_puts_it_on_the_path(
    dockerfile: list[Stage], final: Stage
) -> None:
    copies = [c for c in final.all("COPY") if c.args.startswith(f"--from={dockerfile[0].name} ")]
    assert copies, "the final stage copies nothing from the builder"
    venv = copies[0].args.split()[-1]
    assert f"{venv}/bin" in final.env()["PATH"].split(":")
    assert not final.all("RUN") or all("pip" not in r.args for r in final.all("RUN"))


def test_the_final_stage_runs_as_a_user_who_is_not_root(final: Stage) -> None:
    user = final.one("USER").args.split(":")[0]
    assert user not in ("root", "0", "")
    created = " ".join(r.args for r in final.all("RUN"))
    assert re.search(rf"useradd\b[^&]*\b{re.escape(user)}\b", created), "the user is not created"
    assert re.search(rf"chown\s+{re.escape(user)}\S*\s+/data\b", created), "/data is not theirs"
    # Nothing after USER switches back to root.
    after = final.instructions[final.instructions.index(final.one("USER")) :]
    assert [i for i in after if i.keyword == "USER"] == [final.one("USER")]


def test_the_database_lives_in_the_data_volume(final: Stage) -> None:
    volume = final.one("VOLUME")
    assert (volume.exec_form() or volume.args.split()) == ["/data"]
    assert final.env()["PAPERBOY_DB"] == "/data/paperboy.db"


def test_the_http_port_is_set_and_exposed(final: Stage) -> None:
    port = final.env()["PAPERBOY_HTTP_PORT"]
    assert port == "8080"
    assert final.one("EXPOSE").args.split() == [port]


def test_stop_signal_and_command(final: Stage) -> None:
    assert final.one("STOPSIGNAL").args == "SIGTERM"
    assert final.one("CMD").exec_form() == ["paperboy", "run"]


def test_the_health_check_is_python_in_exec_form_with_timings(final: Stage) -> None:
    options, command = _healthcheck(final)
    assert command[:2] == ["python", "-c"]
    assert {"--interval", "--timeout", "--start-period", "--retries"} <= set(options)
    assert "/healthz" in command[2] and "PAPERBOY_HTTP_PORT" in command[2]
    assert f"or '{final.env()['PAPERBOY_HTTP_PORT']}'" in command[2]  # the same default port


def test_the_build_context_leaves_out_secrets_caches_and_tests() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for name in (".git", ".venv", ".env", "tests", ".mypy_cache", ".pytest_cache"):
        assert name in ignored, name
    assert {".ruff_cache", ".hypothesis", "**/__pycache__", "*.db"} <= ignored


# --------------------------------------------------------------------------- the health check


def _healthcheck(stage: Stage) -> tuple[dict[str, str], list[str]]:
    """The HEALTHCHECK's options and its exec-form command."""
    args = stage.one("HEALTHCHECK").args
    before, _, command = args.partition(" CMD ")
    options = dict(word.split("=", 1) for word in before.split())
    parsed = Instruction("CMD", command).exec_form()
    assert parsed is not None, "the health check is not in exec form"
    return options, parsed


class Health(BaseHTTPRequestHandler):
    """Answers every GET with the server's `status` and records the path."""

    def do_GET(self) -> None:
        server: HealthServer = self.server  # type: ignore[assignment]
        server.paths.append(self.path)
        body = b"ok" if server.status == 200 else b"discord: not connected"
        self.send_response(server.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class HealthServer(ThreadingHTTPServer):
    def __init__(self, status: int) -> None:
        super().__init__(("127.0.0.1", 0), Health)
        self.status = status
        self.paths: list[str] = []


@pytest.fixture
def health_server(request: pytest.FixtureRequest) -> Iterator[HealthServer]:
    server = HealthServer(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def _run_healthcheck(final: Stage, port: int) -> subprocess.CompletedProcess[str]:
    _options, command = _healthcheck(final)
    return subprocess.run(
        [sys.executable, *command[1:]],
        env={**os.environ, "PAPERBOY_HTTP_PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("health_server", [200], indirect=True)
def test_the_health_check_passes_when_healthz_answers_200(
    final: Stage, health_server: HealthServer
) -> None:
    done = _run_healthcheck(final, health_server.server_port)
    assert done.returncode == 0, done.stderr
    assert health_server.paths == ["/healthz"]


@pytest.mark.parametrize("health_server", [503], indirect=True)
def test_the_health_check_fails_in_one_line_when_healthz_answers_503(
    final: Stage, health_server: HealthServer
) -> None:
    done = _run_healthcheck(final, health_server.server_port)
    assert done.returncode != 0
    assert done.stderr.strip().startswith("unhealthy:") and "503" in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr


def test_the_health_check_fails_when_nothing_listens(final: Stage) -> None:
    with HealthServer(200) as server:  # bound, then closed: nothing listens on the port
        port = server.server_port
    done = _run_healthcheck(final, port)
    assert done.returncode != 0 and done.stderr.startswith("unhealthy:")


# --------------------------------------------------------------------------- the install steps


def test_the_builder_s_install_steps_install_a_working_paperboy(
    dockerfile: list[Stage], final: Stage, tmp_path: Path
) -> None:
    builder = dockerfile[0]
    root = tmp_path / "image"
    # The container paths the build uses: its WORKDIR and what the final stage copies.
    workdir = builder.one("WORKDIR").args
    venv = next(c.args.split()[-1] for c in final.all("COPY") if c.args.startswith("--from="))
    mapped = {workdir: root / workdir.lstrip("/"), venv: root / venv.lstrip("/")}
    (root / workdir.lstrip("/")).mkdir(parents=True)
    for copy in builder.all("COPY"):
        *sources, target = copy.args.split()
        destination = mapped[workdir] / target
        for source in sources:
            path = ROOT / source
            if path.is_dir():
                shutil.copytree(path, destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(path, destination / source if target.endswith("/") else destination)
    bin_dir = tmp_path / "bin"  # `python` is the image's interpreter: this one's base
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(Path(sys._base_executable))  # type: ignore[attr-defined]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))
    }
    # As the image builds, from the package index pip is set up with; pip's cache may serve
    # what it holds (the image keeps none), which takes this from about 11 s to about 7 s.
    env |= builder.env() | {"PATH": f"{bin_dir}:{env.get('PATH', '')}"}
    env.pop("PIP_NO_CACHE_DIR", None)
    runs = builder.all("RUN")
    assert any("pip install" in r.args for r in runs)
    for run in runs:
        command = run.args
        for container, local in sorted(mapped.items(), key=lambda kv: -len(kv[0])):
            command = re.sub(rf"(?<![\w/.]){re.escape(container)}(?=/|\s|$)", str(local), command)
        done = subprocess.run(
            command,
            shell=True,
            cwd=mapped[workdir],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"RUN {run.args} failed:\n{done.stdout}\n{done.stderr}"

    installed = mapped[venv]
    run_env = {k: v for k, v in env.items() if not k.startswith(("PAPERBOY_", "SLACK_"))}
    run_env |= {"PATH": f"{installed / 'bin'}:{env['PATH']}", "COLUMNS": "200"}
    where = subprocess.run(
        ["python", "-c", "import bot, storage, adapters; print(bot.__file__)"],
        cwd=tmp_path,
        env=run_env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(installed)), where.stdout  # not this checkout
    assert shutil.which(final.one("CMD").exec_form()[0], path=run_env["PATH"]) == str(  # type: ignore[index]
        installed / "bin" / "paperboy"
    )
    for argv, expected in ((["--help"], "doctor"), (["config"], "PAPERBOY_DB")):
        done = subprocess.run(
            ["paperboy", *argv],
            cwd=tmp_path,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout


# --------------------------------------------------------------------------- compose and .env


def _example_settings() -> dict[str, str]:
    """NAME → value of every `NAME=value` line of .env.example, commented or not."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    pattern = re.compile(r"^#?\s?([A-Z][A-Z0-9_]*)=(.*)$")
    return {m[1]: m[2].strip() for line in text.splitlines() if (m := pattern.match(line))}


def test_env_example_lists_every_setting_with_its_default() -> None:
    example = _example_settings()
    rows = {name: default for name, default, _help in env_vars()}
    assert set(example) == set(rows), set(example) ^ set(rows)
    for name, default in rows.items():
        if default:  # a token's placeholder has no default to match
            assert example[name] == default, name


def test_env_example_holds_no_real_token() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert all(line.startswith("#") for line in text.splitlines() if line.strip())
    assert not re.search(r"xox[bpa]-\d|xapp-\d|hf_[A-Za-z0-9]{20,}", text)


def test_compose_runs_the_image_with_the_volume_env_file_port_and_restart() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+build: \.$", text, re.M)
    assert re.search(r"^\s+env_file: \.env$", text, re.M)
    assert re.search(r"^\s+restart: unless-stopped$", text, re.M)
    assert re.search(r"^\s+- \"?8080:8080\"?$", text, re.M)
    assert re.search(r"^\s+- (\S+):/data$", text, re.M)
    volume = re.search(r"^\s+- (\S+):/data$", text, re.M)
    assert volume and re.search(rf"^volumes:\n\s+{re.escape(volume[1])}:", text, re.M)
    assert "PAPERBOY_DB: /data/paperboy.db" in text
    assert "healthcheck:" not in text  # the image's own is inherited
