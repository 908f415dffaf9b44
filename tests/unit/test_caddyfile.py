"""The proxy's configuration as Caddy reads it (issue 23, items 3 and 5).

Debian's Caddy (2.6; `.ci/run` installs it) adapts deploy/Caddyfile to JSON, and runs it in front
of two small stand-in apps on loopback addresses, to see what a browser would: a dead app is left
behind on the next request, not after the next active check, and pages come compressed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
CADDYFILE = ROOT / "deploy" / "Caddyfile"


def caddy() -> str:
    path = shutil.which("caddy")
    require_service(path is not None, "caddy is not installed (apt-get install caddy)")
    assert path is not None
    return path


def adapt(site_address: str) -> dict[str, Any]:
    result = subprocess.run(
        [caddy(), "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={**os.environ, "SITE_ADDRESS": site_address},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    config = json.loads(result.stdout)
    assert isinstance(config, dict)
    return config


def handlers(node: Any) -> Iterator[dict[str, Any]]:
    """Every handler in a piece of config, with the matchers of the routes above it."""
    yield from _walk(node, [])


def _walk(node: Any, matchers: list[Any]) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        inner = matchers + node.get("match", []) if "handle" in node else matchers
        if "handler" in node:
            yield {**node, "_matchers": matchers}
        for value in node.values():
            yield from _walk(value, inner)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, matchers)


def _without_matchers(handler: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in handler.items() if key != "_matchers"}


def server_on(config: dict[str, Any], port: str) -> dict[str, Any]:
    servers = config["apps"]["http"]["servers"].values()
    return next(server for server in servers if f":{port}" in server["listen"])


@pytest.fixture(scope="module")
def tls_site() -> dict[str, Any]:
    return adapt("practice.example.edu")


def test_pages_are_compressed_with_zstd_or_gzip(tls_site: dict[str, Any]) -> None:
    encoders = [h for h in handlers(server_on(tls_site, "443")) if h["handler"] == "encode"]
    assert [sorted(h["encodings"]) for h in encoders] == [["gzip", "zstd"]]


def test_hsts_is_sent_over_https_only(tls_site: dict[str, Any]) -> None:
    hsts = [
        h
        for h in handlers(server_on(tls_site, "443"))
        if "Strict-Transport-Security" in h.get("response", {}).get("set", {})
    ]
    assert len(hsts) == 1
    max_age = re.fullmatch(
        r"max-age=(\d+).*", hsts[0]["response"]["set"]["Strict-Transport-Security"][0]
    )
    assert max_age and int(max_age.group(1)) >= 180 * 86400
    assert {"protocol": "https"} in hsts[0]["_matchers"]


def test_each_request_is_logged_as_json_on_standard_output(tls_site: dict[str, Any]) -> None:
    assert tls_site["apps"]["http"]["servers"]["srv0"]["logs"]
    access = [log for log in tls_site["logging"]["logs"].values() if "include" in log]
    assert access and all(log["writer"]["output"] == "stdout" for log in access)
    assert all(log["encoder"]["format"] == "json" for log in access)


def test_a_dead_app_is_left_out_at_once_and_the_request_retried(tls_site: dict[str, Any]) -> None:
    proxies = [h for h in handlers(tls_site) if h["handler"] == "reverse_proxy"]
    site = next(h for h in handlers(server_on(tls_site, "443")) if h["handler"] == "reverse_proxy")
    passive = site["health_checks"]["passive"]
    assert passive["max_fails"] == 1 and passive["fail_duration"] > 0
    assert {502, 503, 504} <= set(passive["unhealthy_status"])
    assert site["load_balancing"]["try_duration"] > 0
    assert site["health_checks"]["active"] == {
        "interval": 2_000_000_000,  # a draining process gets no new page 2 s after SIGTERM
        "port": 8502,
        "timeout": 5_000_000_000,  # above /ready's own 3 s database bound
        "uri": "/ready",
    }
    # One definition: the proxy's own /ready (:8081) uses the very same upstreams and checks.
    assert len(proxies) == 2
    assert all(_without_matchers(p) == _without_matchers(site) for p in proxies)
    assert CADDYFILE.read_text(encoding="utf-8").count("reverse_proxy ") == 1


def test_plain_http_site_sends_no_hsts_without_https() -> None:
    config = adapt(":80")
    site = server_on(config, "80")
    hsts = [h for h in handlers(site) if "Strict-Transport-Security" in json.dumps(h)]
    assert hsts and all({"protocol": "https"} in h["_matchers"] for h in hsts)


def test_the_pinned_caddy_has_the_fixes_the_config_relies_on_and_http3_is_published() -> None:
    """health_port works again from 2.11.2 (caddyserver/caddy#7524, #7533); since 2.8 the lb
    cookie is Secure (and HttpOnly) over HTTPS (#6115), which `caddy adapt` cannot show."""
    services = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]
    proxy = services["proxy"]
    version = re.fullmatch(r"caddy:(\d+)\.(\d+)\.(\d+)-alpine", proxy["image"])
    assert version, f"pin an exact Caddy release, not {proxy['image']}"
    assert tuple(map(int, version.groups())) >= (2, 11, 2)
    # Caddy advertises HTTP/3 over HTTPS unless told otherwise, so QUIC's port is published.
    assert "protocols" not in CADDYFILE.read_text(encoding="utf-8")
    assert "443:443/udp" in proxy["ports"]


# Caddy running in front of two stand-in apps --------------------------------------------------
class _App(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        body = (self.server.name * 400).encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def _serve(address: str, port: int, name: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((address, port), _App)
    server.name = name  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def running_proxy(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """deploy/Caddyfile with app1 and app2 on 127.0.0.2 and 127.0.0.3 (each with its /ready on
    one port, like the containers), served on a free port."""
    binary = caddy()
    apps = {name: _serve(f"127.0.0.{n}", 0, name) for n, name in ((2, "app1"), (3, "app2"))}
    readiness = _serve("127.0.0.2", 0, "ready")
    ready_port = readiness.server_address[1]
    watches = [readiness, _serve("127.0.0.3", ready_port, "ready")]
    text = CADDYFILE.read_text(encoding="utf-8")
    for name, server in apps.items():
        text = text.replace(f"{name}:8501", "{}:{}".format(*server.server_address))
    text = text.replace("health_port 8502", f"health_port {ready_port}")
    text = text.replace(":8081 {", f":{_free_port()} {{")
    (tmp_path / "Caddyfile").write_text(text, encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "SITE_ADDRESS": f":{port}", "HOME": str(tmp_path)}
    env |= {"XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    log = (tmp_path / "caddy.log").open("w")
    process = subprocess.Popen(
        [binary, "run", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield {"url": url, "apps": apps, "log": tmp_path / "caddy.log"}
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        for server in [*apps.values(), *watches]:
            server.shutdown()
            server.server_close()


def _app(url: str, cookie: str = "") -> tuple[str, dict[str, str]]:
    """Which app answered (gzip-compressed, as a browser asks), and the response headers."""
    import gzip

    request = urllib.request.Request(url, headers={"Cookie": cookie, "Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        headers = {key.lower(): value for key, value in response.headers.items()}
        assert headers["content-encoding"] == "gzip"
        return gzip.decompress(response.read()).decode()[:4], headers


def test_a_browser_moves_off_a_dead_app_on_its_next_request(running_proxy: dict[str, Any]) -> None:
    first, headers = _app(running_proxy["url"])
    cookie = headers["set-cookie"].split(";", 1)[0]
    assert cookie.startswith("lb=")
    # The sticky cookie keeps the browser on its app...
    assert _app(running_proxy["url"], cookie)[0] == first
    # ...until that app dies: the next request is answered by the other one, not with a 502.
    dead = running_proxy["apps"][first]
    dead.shutdown()
    dead.server_close()
    try:
        assert _app(running_proxy["url"], cookie)[0] == ({"app1", "app2"} - {first}).pop()
    except urllib.error.HTTPError as error:
        pytest.fail(f"the proxy answered {error.code} instead of moving to the other app")
    # Every request is an access-log line (JSON) on standard output.
    logged = [json.loads(line) for line in running_proxy["log"].read_text().splitlines()]
    access = [entry for entry in logged if entry.get("logger", "").startswith("http.log.access")]
    assert len(access) >= 3 and all(entry["request"]["uri"] == "/" for entry in access)
