"""The compose stack as the stack tests drive it: compose.yaml plus tests/stack/compose.test.yaml
under a project name of its own, the proxy on a loopback port, the settings in a file of the
test's own (never the project's .env), and the fake Anthropic server on the Docker host's bridge
address, the one address of this machine the containers reach.

`deploy/prepare-docker.sh` (as root) makes a machine ready: the daemon, Compose v2, base images.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.anthropic_server import FakeAnthropic

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "counseling-stack-test"
APPS = ("app1", "app2")
COMPOSE_FILES = ("compose.yaml", "tests/stack/compose.test.yaml")
INTERPOLATED = {"POSTGRES_PASSWORD", "SITE_ADDRESS", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME"}


def run(*command: str, env: dict[str, str] | None = None, timeout: float = 600, check=True):
    """A command's result, its output kept; a failure says what the command printed."""
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def base_images() -> list[str]:
    """The images the Dockerfile and compose.yaml start from (what prepare-docker.sh provides)."""
    text = (ROOT / "Dockerfile").read_text() + (ROOT / "compose.yaml").read_text()
    found = re.findall(
        r"(?:^FROM |^ARG \w*IMAGE=|^\s+image: )((?:python|postgres|redis|caddy)\S+)", text, re.M
    )
    return sorted(set(found))


def docker_problem() -> str | None:
    """Why the stack cannot run here, or None."""
    try:
        if run("docker", "info", timeout=30, check=False).returncode != 0:
            return "No Docker daemon answers (as root: deploy/prepare-docker.sh)"
        version = run("docker", "compose", "version", timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"Docker cannot run here: {type(error).__name__}: {error}"
    if not re.search(r"\bv2\.", version):
        return "Compose v2 (`docker compose`) is missing (as root: deploy/prepare-docker.sh)"
    missing = [
        i for i in base_images() if run("docker", "image", "inspect", i, check=False).returncode
    ]
    if missing:
        return f"Base images missing: {', '.join(missing)} (as root: deploy/prepare-docker.sh)"
    return None


def bridge_gateway() -> str:
    """The host's address on Docker's default bridge (172.17.0.1 unless configured): the
    network's gateway, or else the address of its interface (docker0)."""
    bridge = '{{range .IPAM.Config}}{{.Gateway}}{{end}} {{index .Options "com.docker.network.bridge.name"}}'
    gateway, _, interface = run(
        "docker", "network", "inspect", "bridge", "-f", bridge
    ).stdout.partition(" ")
    if not gateway:
        found = re.search(
            r"inet (\S+)/", run("ip", "-4", "-o", "addr", "show", interface.strip()).stdout
        )
        gateway = found.group(1) if found else ""
    if not gateway:  # never the empty address: that would listen on every interface
        raise AssertionError("the host's address on Docker's bridge network was not found")
    return gateway


def wait_for(condition: Callable[[], object], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


@dataclass
class Stack:
    """One running stack: `compose(...)` runs `docker compose` on it."""

    folder: Path
    http_port: int
    fake: FakeAnthropic  # on the bridge address, where the containers reach it
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        settings = self.folder / "stack.env"
        settings.write_text(
            "\n".join(
                [
                    f"POSTGRES_PASSWORD={secrets.token_hex(12)}",
                    "ANTHROPIC_API_KEY=test-key",
                    f"ANTHROPIC_BASE_URL={self.fake.base_url}",
                    "ANTHROPIC_MODEL=claude-haiku-4-5",
                    "ANTHROPIC_MAX_RETRIES=0",
                    "SITE_ADDRESS=:80",
                    "USER_RATE_LIMIT=1000/hour",
                    "",
                ]
            )
        )
        # Compose's interpolation must see this file's values only, not the caller's environment.
        outer = {k: v for k, v in os.environ.items() if k not in INTERPOLATED}
        self.env = {
            **outer,
            # STACK_TEST_PROJECT: another name, for a second run on the same Docker daemon.
            "COMPOSE_PROJECT_NAME": os.environ.get("STACK_TEST_PROJECT", PROJECT),
            "COMPOSE_FILE": ":".join(COMPOSE_FILES),
            "COMPOSE_ENV_FILES": str(settings),
            "STACK_TEST_ENV_FILE": str(settings),
            "STACK_TEST_HTTP_PORT": str(self.http_port),
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def compose(self, *args: str, timeout: float = 600, check=True):
        return run("docker", "compose", *args, env=self.env, timeout=timeout, check=check)

    def container(self, service: str) -> str:
        return self.compose("ps", "-q", service).stdout.strip()

    def health(self, service: str) -> str:
        """Docker's verdict: starting, healthy or unhealthy ("" once stopped)."""
        container = self.container(service)
        if not container:
            return ""
        inspect = run("docker", "inspect", "-f", "{{.State.Health.Status}}", container, check=False)
        return inspect.stdout.strip()

    def service_at(self, address: str) -> str:
        """Which service's container has this IP address on the stack's network."""
        for service in APPS:
            found = run(
                "docker",
                "inspect",
                "-f",
                "{{json .NetworkSettings.Networks}}",
                self.container(service),
            )
            if address in [net["IPAddress"] for net in json.loads(found.stdout).values()]:
                return service
        raise AssertionError(f"no app container has the address {address}")

    def ready(self, service: str) -> tuple[int, str]:
        """An app's readiness (its /ready, status and body), asked inside its container."""
        if service == "proxy":
            wget = self.compose(
                "exec",
                "-T",
                "proxy",
                "wget",
                "-q",
                "-O",
                "-",
                "http://127.0.0.1:8081/ready",
                check=False,
            )
            return (200 if wget.returncode == 0 else 503), wget.stdout
        probe = (
            "import urllib.request as r, urllib.error as e\n"
            "try: a = r.urlopen('http://127.0.0.1:8502/ready', timeout=8)\n"
            "except e.HTTPError as error: a = error\n"
            "print(a.status, a.read().decode())"
        )
        out = self.compose("exec", "-T", service, "python", "-c", probe, check=False).stdout
        status, _, body = out.strip().partition(" ")
        return (int(status) if status.isdigit() else 0), body

    def sql(self, query: str) -> list[str]:
        out = self.compose(
            "exec",
            "-T",
            "postgres",
            "psql",
            "-U",
            "counseling",
            "-d",
            "counseling",
            "-At",
            "-c",
            query,
        )
        return out.stdout.splitlines()


class Poller:
    """A browser-like client polling through the proxy: it keeps the cookies it is given (the
    proxy's sticky "lb" cookie), and counts every answer that is not 200."""

    PATHS = ("/_stcore/health", "/")

    def __init__(self, url: str) -> None:
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.answers = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.get(self.PATHS[0])  # the first answer sets the cookie: this client's process

    @property
    def sticky(self) -> str:
        return next((c.value for c in self.jar if c.name == "lb"), "")

    def get(self, path: str) -> None:
        try:
            with self.opener.open(self.url + path, timeout=15) as answer:
                answer.read()
            self.answers += 1
        except (urllib.error.URLError, OSError) as error:
            self.failures.append(f"{time.strftime('%X')} {path}: {error}")

    def _poll(self) -> None:
        while not self._stop.is_set():
            for path in self.PATHS:
                self.get(path)
            time.sleep(0.05)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
