"""The app's image, read from its files (issue 23, item 6): it installs exactly the lock, runs as a
numeric user, checks its health without a shell, and its build context holds no secrets, databases
or course exports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from backend import cli

ROOT = Path(__file__).resolve().parents[2]


def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        current += line.strip().removesuffix("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            instructions.append(current.strip())
            current = ""
    return instructions


def test_the_image_runs_as_a_numeric_non_root_user_created_with_that_id() -> None:
    instructions = dockerfile()
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[-1])
    uid, gid = users[-1].split(":")
    created = " ".join(line for line in instructions if line.startswith("RUN "))
    assert f"--uid {uid}" in created and f"--gid {gid}" in created


def test_the_health_check_is_exec_form_and_asks_streamlit_and_readiness() -> None:
    healthcheck = next(line for line in dockerfile() if line.startswith("HEALTHCHECK "))
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert command == ["python", "-m", "backend.cli", "healthcheck"]
    assert cli.HEALTH_URLS == (
        "http://127.0.0.1:{port}/_stcore/health",
        "http://127.0.0.1:{readiness_port}/ready",
    )


def test_dependencies_come_from_the_lock_with_hashes_before_the_code() -> None:
    instructions = dockerfile()
    copy_lock = instructions.index("COPY requirements.lock wheelhouse/ /build/")
    install = next(i for i, line in enumerate(instructions) if "pip install" in line)
    assert "--require-hashes --no-deps" in instructions[install]
    assert "-r /build/requirements.lock" in instructions[install]
    # From wheelhouse/ alone when it holds wheels (a build without PyPI), else from the index.
    assert "--no-index --find-links /build" in instructions[install]
    assert copy_lock < install < instructions.index("COPY . /app")
    assert not [line for line in instructions if "requirements.txt" in line]
    # The wheels stay in the build stage: the image gets the installed packages and the code.
    assert "RUN rm -rf /app/wheelhouse" in instructions
    assert "COPY --from=build /opt/venv /opt/venv" in instructions
    assert "COPY --from=build /app /app" in instructions


def test_the_code_is_compiled_once_in_the_build_not_at_every_start() -> None:
    """The image runs with PYTHONDONTWRITEBYTECODE: the code's bytecode caches must come with it,
    or each app start and each health check (every 15 s) compiles every module again."""
    instructions = dockerfile()
    compiled = instructions.index("RUN /opt/venv/bin/python -m compileall -q /app/backend /app/mvp")
    assert (
        instructions.index("COPY . /app")
        < compiled
        < instructions.index("COPY --from=build /app /app")
    )
    assert any("PYTHONDONTWRITEBYTECODE=1" in line for line in instructions)


# The lock against requirements.txt ------------------------------------------------------------
def locked() -> dict[str, tuple[str, list[str], list[str]]]:
    """requirements.lock as {name: (version, hashes, what it is there for)}."""
    entries: dict[str, tuple[str, list[str], list[str]]] = {}
    name = ""
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        pin = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if pin:
            name = canonicalize_name(pin.group(1))
            assert name not in entries, f"{name} is pinned twice in requirements.lock"
            entries[name] = (pin.group(2), [], [])
        elif name and (found := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            entries[name][1].append(found.group(1))
        elif name and (via := re.fullmatch(r"\s+#\s+(?:via\b)?\s*(.*)", line)):
            entries[name][2].extend([via.group(1).strip()] if via.group(1).strip() else [])
    return entries


def requirements() -> list[Requirement]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line.split("#", 1)[0]) for line in lines if line.split("#", 1)[0].strip()]


def test_every_requirement_is_locked_within_its_range_with_hashes() -> None:
    lock = locked()
    for requirement in requirements():
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{name} is in requirements.txt but not in requirements.lock"
        assert requirement.specifier.contains(lock[name][0], prereleases=True), (
            f"requirements.lock pins {name}=={lock[name][0]}, outside {requirement.specifier}"
        )
        for extra in requirement.extras:  # psycopg[binary] brings psycopg-binary
            wanted = [
                Requirement(r)
                for r in metadata.requires(requirement.name) or []
                if f'extra == "{extra}"' in r
            ]
            assert {canonicalize_name(r.name) for r in wanted} <= set(lock)
    assert all(hashes for _version, hashes, _via in lock.values())


def test_the_lock_holds_nothing_requirements_txt_no_longer_asks_for() -> None:
    lock = locked()
    top = {name for name, (_v, _h, via) in lock.items() if "-r requirements.txt" in via}
    assert top == {canonicalize_name(r.name) for r in requirements()}
    for name, (_version, _hashes, via) in lock.items():
        parents = {canonicalize_name(v) for v in via if not v.startswith("-r ")}
        assert parents <= set(lock), f"{name} is there for {parents - set(lock)}, not locked"


def test_the_readme_says_how_to_refresh_the_lock() -> None:
    command = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()[1]
    assert "--generate-hashes" in command and "--index-url https://pypi.org/simple" in command
    assert command.lstrip("# ").strip() in (ROOT / "README.md").read_text(encoding="utf-8")


# The build context -----------------------------------------------------------------------------
def ignored(path: str) -> bool:
    """Whether Docker leaves `path` out of the build context (its rules: the last matching line
    wins, `!` brings a path back, a folder's pattern covers what is inside it)."""
    result = False
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        regex = re.escape(pattern.lstrip("!")).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            result = not negated
    return result


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        ".streamlit/secrets.toml",
        "data/app.db",
        "app.db",
        "backups/app.sqlite3",
        "course.jsonl",
        "exports/course.jsonl",
        ".course.jsonl.partial",
        "dump.sql",
        ".venv/bin/python",
        ".git/HEAD",
        "tests/conftest.py",
        "test-artifacts/trace.zip",
        "backend/__pycache__/db.cpython-311.pyc",
    ],
)
def test_secrets_databases_exports_and_development_files_stay_out_of_the_image(path: str) -> None:
    assert ignored(path)


@pytest.mark.parametrize(
    "path",
    [
        "mvp/app.py",
        "backend/db.py",
        "backend/migrations/env.py",
        "alembic.ini",
        "requirements.lock",
        ".streamlit/config.toml",
        "docs/known-issues.md",
        ".env.example",
        "wheelhouse/streamlit-1.67.0-py3-none-any.whl",  # the build stage's, not the image's
    ],
)
def test_what_the_app_runs_with_is_in_the_image(path: str) -> None:
    assert not ignored(path)


# The health check command ------------------------------------------------------------------------
@pytest.fixture
def endpoints(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Streamlit's health and the watch's /ready on two local ports; status by path."""
    statuses = {"/_stcore/health": 200, "/ready": 200}

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self.send_response(statuses.get(self.path, 404))
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Answer) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PORT", str(servers[0].server_address[1]))
    monkeypatch.setenv("READINESS_PORT", str(servers[1].server_address[1]))
    yield statuses
    for server in servers:
        server.shutdown()
        server.server_close()


def test_healthcheck_is_healthy_only_while_streamlit_answers_and_the_app_is_ready(
    endpoints: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["healthcheck"]) == 0
    endpoints["/ready"] = 503
    assert cli.main(["healthcheck"]) == 1
    assert "/ready: Service Unavailable" in capsys.readouterr().err
    endpoints["/ready"] = 200
    endpoints["/_stcore/health"] = 503
    assert cli.main(["healthcheck"]) == 1
    assert "/_stcore/health" in capsys.readouterr().err


def test_the_health_check_loads_no_database_layer_and_no_settings() -> None:
    """The image's HEALTHCHECK starts `python -m backend.cli` every 15 s in every app container
    (every 2 s in the stack test): importing SQLAlchemy there tripled its CPU (0.9 s a check), and
    pydantic-settings, for the one port the image's environment names, doubled it again."""
    check = "import sys, backend.cli; backend.cli.main(['healthcheck']); print(sorted(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", check],
        cwd=ROOT,
        env={**os.environ, "PORT": "1", "READINESS_PORT": "1"},  # nobody answers: unhealthy
        capture_output=True,
        text=True,
    ).stdout
    assert "'backend.cli'" in loaded
    assert "'sqlalchemy'" not in loaded and "'backend.db'" not in loaded
    assert "'pydantic_settings'" not in loaded and "'backend.config'" not in loaded
