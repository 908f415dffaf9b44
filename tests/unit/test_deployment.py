"""Deployment files checked without Docker: compose.yaml, the Dockerfile and the proxy config.

Docker may be absent where the tests run, so these read the files: the compose file parses, its
services are the documented ones, every setting it uses is listed in .env.example, the migration
step is the command the README documents, each service gets only the secrets it needs and is
hardened, limited and log-rotated, and the image is built once. The image's own files:
test_image.py; the proxy as Caddy reads it: test_caddyfile.py.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend.config import Settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("app1", "app2")
APP_PORT = "8501"
READINESS_PORT = "8502"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result = compose["services"]
    assert isinstance(result, dict)
    return result


def env_example_keys() -> set[str]:
    keys = set()
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"([A-Z][A-Z0-9_]*)=", line)
        if match:
            keys.add(match.group(1))
    return keys


def readme_migrate_command() -> list[str]:
    """The migrate command from the README's "Operator commands", with the venv path dropped."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Operator commands", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if "backend.cli migrate" in line]
    assert lines, "the README's Operator commands no longer document the migrate command"
    words = shlex.split(lines[0].split("#", 1)[0])
    words[0] = Path(words[0]).name
    return words


def test_compose_has_exactly_the_documented_services(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {"postgres", "redis", "migrate", "app1", "app2", "proxy"}


def test_postgres_keeps_its_data_in_a_volume_and_reports_health(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    postgres = services["postgres"]
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "healthcheck" in services["redis"]


def test_every_setting_compose_uses_is_listed_in_env_example(
    services: dict[str, dict[str, Any]],
) -> None:
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    app_keys = {
        key
        for name in ("migrate", *APP_SERVICES, "proxy")
        for key in services[name].get("environment", {})
    }
    assert interpolated, "expected ${VAR} settings in compose.yaml"
    assert (interpolated | app_keys) - env_example_keys() == set()


SECRETS = ("ANTHROPIC_API_KEY", "POSTGRES_PASSWORD", "STREAMLIT_SERVER_COOKIE_SECRET")


def test_each_service_gets_only_the_secrets_it_needs(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    """The apps get .env (the API key, the cookie secret) and the database URL; migrate only the
    URL; PostgreSQL only its password, as a file; Redis and Caddy nothing secret."""
    for name in APP_SERVICES:
        assert services[name]["env_file"] == ".env"
        assert "${POSTGRES_PASSWORD" in services[name]["environment"]["DATABASE_URL"]
    assert set(services["migrate"]["environment"]) == {"DATABASE_URL"}
    postgres = services["postgres"]
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert postgres["secrets"] == ["postgres_password"]
    assert compose["secrets"]["postgres_password"] == {"environment": "POSTGRES_PASSWORD"}
    for name, service in services.items():
        if name not in APP_SERVICES:
            assert "env_file" not in service, f"{name} would get every secret in .env"
        given = " ".join(f"{key}={value}" for key, value in service.get("environment", {}).items())
        for secret in SECRETS:
            if name in APP_SERVICES or (name == "migrate" and secret == "POSTGRES_PASSWORD"):
                continue
            assert f"{secret}=" not in given and "{" + secret not in given, (name, secret)
        if name != "postgres":
            assert "secrets" not in service


def test_every_service_is_hardened_limited_and_its_log_rotated(
    services: dict[str, dict[str, Any]],
) -> None:
    needed = {"postgres": {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"}}
    needed["proxy"] = {"NET_BIND_SERVICE"}
    for name, service in services.items():
        assert service["cap_drop"] == ["ALL"], name
        assert set(service.get("cap_add", [])) == needed.get(name, set()), name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert re.fullmatch(r"\d+[mg]", str(service["mem_limit"])), name
        assert service["logging"]["driver"] == "json-file", name
        assert (
            service["logging"]["options"]["max-size"] and service["logging"]["options"]["max-file"]
        )
    assert services["redis"]["user"] == "redis"  # its entrypoint then needs no capability


def test_the_app_image_is_built_once(services: dict[str, dict[str, Any]]) -> None:
    built = [name for name, service in services.items() if "build" in service]
    assert built == ["migrate"]
    for name in APP_SERVICES:
        assert services[name]["image"] == services["migrate"]["image"]
        assert services[name]["pull_policy"] == "never"


def test_migrate_step_runs_the_readme_command(services: dict[str, dict[str, Any]]) -> None:
    assert services["migrate"]["command"] == readme_migrate_command()
    assert services["migrate"]["restart"] == "no"


def test_app_services_wait_for_migration_and_use_the_stack(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_SERVICES:
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        environment = service["environment"]
        assert str(environment["PORT"]) == APP_PORT
        assert re.fullmatch(
            r"postgresql\+psycopg://[^@]+@postgres:5432/\w+", environment["DATABASE_URL"]
        )
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
        assert "ports" not in service, "apps are reached through the proxy only"


def test_proxy_balances_both_apps_with_sticky_sessions_and_anti_framing(
    services: dict[str, dict[str, Any]],
) -> None:
    proxy = services["proxy"]
    mounts = [volume.split(":") for volume in proxy["volumes"]]
    assert ["./deploy/Caddyfile", "/etc/caddy/Caddyfile", "ro"] in mounts
    # The proxy is healthy only while an app behind it is ready (database and Redis answer).
    assert "http://127.0.0.1:8081/ready" in " ".join(proxy["healthcheck"]["test"])
    for name in APP_SERVICES:
        assert proxy["depends_on"][name]["condition"] == "service_healthy"
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    upstreams = re.search(r"reverse_proxy ([^{\n]+)\{", caddyfile)
    assert upstreams is not None
    assert upstreams.group(1).split() == [f"{name}:{APP_PORT}" for name in APP_SERVICES]
    assert re.search(r"^\s*lb_policy cookie\b", caddyfile, re.M)
    # Requests go only to apps whose readiness endpoint (`backend.cli watch`) says ready.
    assert re.search(r"^\s*health_uri /ready$", caddyfile, re.M)
    assert re.search(rf"^\s*health_port {READINESS_PORT}$", caddyfile, re.M)
    # The proxy's /ready is Streamlit's health through those same upstreams and their checks.
    ready = re.search(
        r"handle /ready \{\s*rewrite \* /_stcore/health\s*import apps\s*\}", caddyfile
    )
    assert ready is not None
    assert 'X-Frame-Options "DENY"' in caddyfile
    assert "frame-ancestors 'none'" in caddyfile


def test_dockerfile_starts_the_draining_launcher_on_the_official_base() -> None:
    """The user, health check, lock and build context: tests/unit/test_image.py."""
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    # The base is the official slim image unless a build replaces it with --build-arg PYTHON_IMAGE;
    # the build stage (dependencies, code) and the image both start from it.
    assert lines[0] == "ARG PYTHON_IMAGE=python:3.11-slim"
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms == ["FROM ${PYTHON_IMAGE} AS build", "FROM ${PYTHON_IMAGE}"]
    assert f"READINESS_PORT={READINESS_PORT}" in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    command = [line for line in lines if line.startswith("CMD [")][-1]  # not HEALTHCHECK's
    # Exec form: SIGTERM reaches the launcher, which serves /ready and drains before it stops.
    assert json.loads(command.removeprefix("CMD ")) == [
        "python",
        "-m",
        "mvp.serve",
        "--server.address",
        "0.0.0.0",
        "--server.headless",
        "true",
    ]


def test_compose_waits_for_the_drain_before_it_kills_an_app(
    services: dict[str, dict[str, Any]],
) -> None:
    """`docker compose stop` (every upgrade) sends SIGTERM, then SIGKILL after stop_grace_period:
    longer than the drain's grace period, so a reply streaming then is finished, not cut off."""
    grace = Settings.model_fields["shutdown_grace_seconds"].default
    for name in APP_SERVICES:
        period = services[name]["stop_grace_period"]
        assert period.endswith("s") and float(period[:-1]) >= grace + 5


# What the image installs -------------------------------------------------------------------------
def _requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-r"):
            names.add(_canonical(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0]))
    return names


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _with_dependencies(names: set[str]) -> set[str]:
    """The distributions these need, installed here (what `pip install` of them brings)."""
    from importlib import metadata

    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" in requirement and "psycopg" not in name:
                continue  # an optional extra the app does not ask for
            todo.append(_canonical(re.split(r"[<>=!~\[; (]", requirement, maxsplit=1)[0]))
    return found


# Rebuilds the review coder's weights with scikit-learn (requirements-dev.txt); the app never
# imports it.
TRAINING_ONLY = {ROOT / "backend" / "reviews" / "train_coder.py"}
ML_FRAMEWORKS = {"scikit-learn", "scipy", "torch", "tensorflow", "jax", "jaxlib", "keras"}


def test_the_app_installs_no_machine_learning_framework():
    """The review coder runs on numpy with shipped weights (README, "Reviews")."""
    runtime = _with_dependencies(_requirement_names(ROOT / "requirements.txt"))
    assert not runtime & ML_FRAMEWORKS
    assert "scikit-learn" in _requirement_names(ROOT / "requirements-dev.txt")


def test_the_image_gets_what_the_app_imports_and_no_test_or_lint_tools():
    import ast
    import sys
    from importlib import metadata

    runtime = _requirement_names(ROOT / "requirements.txt")
    dev = _requirement_names(ROOT / "requirements-dev.txt")
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8")
    assert not runtime & {"pytest", "playwright", "ruff", "mypy", "oidc-provider-mock", "pyyaml"}
    assert {"pytest", "playwright", "ruff", "mypy"} <= dev

    imported = set()
    for folder in ("backend", "mvp"):
        for source in (ROOT / folder).rglob("*.py"):
            if source in TRAINING_ONLY:
                continue
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"backend", "mvp", "__future__"}
    distributions = metadata.packages_distributions()
    available = _with_dependencies(runtime)
    missing = {
        module
        for module in third_party
        if not {_canonical(d) for d in distributions.get(module, [module])} & available
    }
    assert not missing, f"imported by the app but not installed by requirements.txt: {missing}"
