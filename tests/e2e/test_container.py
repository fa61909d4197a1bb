"""Drill: the container image (deploy/container/Containerfile) is built and run as
deploy/container/compose.yaml runs it, with podman (tests/container_runtime.py).

The image is built from a stand-in for python:3.11-slim-bookworm made from Debian's
packages (no image registry is reachable here). Each tracedesk service of compose.yaml
(the migration, the server, the worker) is run with the options compose.yaml gives it,
translated to `podman run`'s; what the drill does itself instead is its PostgreSQL (a
database of its own on the test server), the host's network (so a free port, not a
published 8000), and the order compose's depends_on sets. podman-compose is not used:
compose's postgres:15 cannot be pulled here, and its bridge network would leave
firewall rules and forwarding switched on behind it.

Checked: the migration runs as a one-shot; the server answers /readyz and its image's
health check passes; it runs as 10001 on a read-only root file system; a user made with
the image's console records a recovery and a photo of it (onto the state volume); the
worker, not the server, checks the recovery against a registry and links it; both stop
gracefully on `podman stop`."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.container_runtime import Podman, limits, private_podman, stand_in_base
from tests.databases import create_postgres_database, drop_postgres_database
from tests.e2e.servers import free_port, signed_in
from tests.e2e.writers import recovery
from tests.pictures import png

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
COMPOSE = ROOT / "deploy/container/compose.yaml"
IMAGE = "localhost/tracedesk-test"
CONFIGURATION = "/etc/tracedesk"
SERIAL = "CT-4711"
REGISTRY = '{"reference": "R-1", "status": "stolen", "serial": "CT-4711", "make": "Glock"}\n'
# What the drill does itself rather than translate (see above).
DONE_BY_THE_DRILL = {"image", "depends_on", "restart", "ports"}
# compose's lists and the `podman run` option each item of them is.
LISTS = {
    "tmpfs": "--tmpfs",
    "volumes": "--volume",
    "security_opt": "--security-opt",
    "cap_drop": "--cap-drop",
}
# Compose's stop_grace_period when a service gives none.
DEFAULT_GRACE_SECONDS = 10
# A graceful stop takes a second or two; podman would kill only after the grace period.
STOPPED_WITHIN_SECONDS = 10


@pytest.fixture(scope="module")
def image() -> Iterator[Podman]:
    """podman holding the image, built from this checkout as an operator builds it."""
    with private_podman() as podman:
        base = stand_in_base(podman)
        podman.must(
            *("build", "--pull=never", "--network", "host", "--format", "docker", *limits()),
            *("--build-arg", f"PYTHON_IMAGE={base}", "--tag", IMAGE),
            *("--file", str(ROOT / "deploy/container/Containerfile"), str(ROOT)),
            timeout=900,
        )
        yield podman


@pytest.fixture
def settings() -> Iterator[dict[str, str]]:
    """The settings the drill gives in place of compose's: its own database and secret,
    loopback and a free port, and a registry to check recoveries against."""
    url = asyncio.run(create_postgres_database())
    try:
        yield {
            "TRACEDESK_DATABASE_URL": url,
            "TRACEDESK_JWT_SECRET": secrets.token_urlsafe(48),
            "TRACEDESK_HOST": "127.0.0.1",
            "TRACEDESK_PORT": str(free_port()),
            "TRACEDESK_CONNECTIONS_FILE": f"{CONFIGURATION}/connections.toml",
        }
    finally:
        asyncio.run(drop_postgres_database(url))


@dataclass(frozen=True)
class Service:
    """A service of compose.yaml as `podman run` options, its command, the environment
    podman is given (settings are passed by name, their values in podman's environment,
    so that the secret is on no command line) and its grace period."""

    name: str
    options: list[str]
    command: list[str]
    environment: dict[str, str]
    grace_seconds: int

    def run(
        self, podman: Podman, *how: str, command: list[str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return podman(
            "run",
            *how,
            *self.options,
            IMAGE,
            *(self.command if command is None else command),
            stdin=stdin,
            env=self.environment,
        )


def compose_service(name: str, given: dict[str, str], configuration: Path) -> Service:
    """compose.yaml's service `name`, with the drill's settings in place of its own."""
    service: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"][name]
    settings = {**service["environment"], **given}
    options = [
        *("--network", "host", "--log-driver", "k8s-file", *limits()),
        *("--volume", f"{configuration}:{CONFIGURATION}:ro"),
        *[option for setting in settings for option in ("--env", setting)],
    ]
    grace = DEFAULT_GRACE_SECONDS
    for key, value in service.items():
        if key in ("environment", "command", *DONE_BY_THE_DRILL):
            continue
        if key == "read_only":
            options += ["--read-only"] if value else []
        elif key in LISTS:
            options += [part for item in value for part in (LISTS[key], item)]
        elif key == "healthcheck" and value == {"disable": True}:
            options.append("--no-healthcheck")
        elif key == "stop_grace_period":
            grace = int(value.removesuffix("s"))
        else:
            raise AssertionError(f"compose.yaml's {name}.{key} is not run by the drill")
    if "healthcheck" not in service:
        # The image's health check, run by the test: podman's timer for it needs systemd.
        options += ["--health-interval", "disable"]
    environment = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", **settings}
    return Service(name, options, service["command"], environment, grace)


def test_the_image_runs_as_compose_runs_it(
    image: Podman, settings: dict[str, str], tmp_path: Path
) -> None:
    podman = image
    configuration = tmp_path / "configuration"
    configuration.mkdir()
    (configuration / "registry.ndjson").write_text(REGISTRY, encoding="utf-8")
    (configuration / "connections.toml").write_text(
        '[[registry]]\nname = "stolen"\nadapter = "memory"\nfile = "registry.ndjson"\n',
        encoding="utf-8",
    )
    migrate, api, worker = (
        compose_service(name, settings, configuration) for name in ("migrate", "api", "worker")
    )

    def console(
        env: dict[str, str], *arguments: str, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A console command in a one-shot container like the migration's, as an
        operator runs one beside compose's services (with its environment, not `env`)."""
        return migrate.run(podman, "--rm", "--interactive", command=list(arguments), stdin=stdin)

    migrated = migrate.run(podman, "--rm")
    assert migrated.returncode == 0, migrated.stderr
    start(podman, api)
    base = f"http://127.0.0.1:{settings['TRACEDESK_PORT']}"
    wait_until_ready(podman, base)

    assert podman.must("exec", api.name, "id", "-u").strip() == "10001"
    assert podman.must("exec", api.name, "id", "-g").strip() == "10001"
    assert podman.must("exec", api.name, "id", "-gn").strip() == "tracedesk"
    written = podman("exec", api.name, "touch", "/opt/tracedesk/written")
    assert written.returncode != 0 and "Read-only file system" in written.stderr
    # The image's HEALTHCHECK, as the engine would run it.
    checked = podman("healthcheck", "run", api.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    auth = signed_in({}, base, agency="Container Police", username="ct.inv", console=console)
    with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
        recorded = client.post("/api/v1/recoveries", json=recovery(SERIAL))
        assert recorded.status_code == 201, recorded.text
        recovery_id, item_id = recorded.json()["id"], recorded.json()["items"][0]["id"]
        # Onto the state volume, as the image's user.
        photo = client.post(
            f"/api/v1/recoveries/{recovery_id}/items/{item_id}/photos",
            files={"photo": ("marking.png", png(), "image/png")},
        )
        assert photo.status_code == 201, photo.text
        assert client.get(photo.json()["url"]).content == png()
        hits = f"/api/v1/recoveries/{recovery_id}/registry-hits"
        # compose's server leaves the outbox to the worker (TRACEDESK_WORKER=external).
        assert client.get(hits).json()["checked"] is False

        start(podman, worker)
        deadline = time.monotonic() + 60
        while not (checked_hits := client.get(hits).json())["checked"]:
            assert time.monotonic() < deadline, logs(podman, worker.name)[-3000:]
            time.sleep(0.5)
    assert checked_hits["alert"] is True
    assert [hit["reference"] for hit in checked_hits["hits"]] == ["R-1"]
    # Its case-network link too: nothing left waiting.
    while "nothing waiting" not in podman.must(
        "exec", worker.name, "tracedesk", "outbox", "status"
    ):
        assert time.monotonic() < deadline, logs(podman, worker.name)[-3000:]
        time.sleep(0.5)

    for service in (api, worker):
        began = time.monotonic()
        podman.must("stop", "--time", str(service.grace_seconds), service.name, timeout=90)
        stopped_in = time.monotonic() - began
        (state,) = json.loads(podman.must("inspect", service.name))
        assert state["State"]["ExitCode"] == 0, logs(podman, service.name)[-3000:]
        assert stopped_in < STOPPED_WITHIN_SECONDS, f"{service.name}: {stopped_in:.1f} s"
    logged = logs(podman, api.name).splitlines()
    assert any("Application shutdown complete" in line for line in logged), logged[-5:]


def start(podman: Podman, service: Service) -> None:
    """The service's container, detached, named as the service."""
    done = service.run(podman, "--detach", "--name", service.name)
    assert done.returncode == 0, done.stderr


def wait_until_ready(podman: Podman, base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        running = podman.must("inspect", "--format", "{{.State.Running}}", "api")
        if running.strip() != "true" or time.monotonic() > deadline:
            raise AssertionError(f"the server did not start:\n{logs(podman, 'api')}")
        time.sleep(0.2)


def logs(podman: Podman, container: str) -> str:
    """What the container wrote, on its standard output and error alike."""
    shown = podman("logs", container)
    return shown.stdout + shown.stderr
