"""Running tracedesk as real processes for end-to-end tests: the CLI, a server on a free
loopback port (stopped and its log checked when done), a user signed in over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import httpx

TRACEDESK = [sys.executable, "-m", "service.adapters.cli"]
PASSWORD = "an end-to-end password"


def production_environment(**settings: str) -> dict[str, str]:
    """This process's environment without its TRACEDESK_ settings, as in production: JSON
    logs (which `serving` reads), a signing secret of its own, loopback only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEDESK_")}
    env |= {
        "TRACEDESK_ENVIRONMENT": "production",
        "TRACEDESK_JWT_SECRET": "an end-to-end signing secret of forty-eight bytes",
        "TRACEDESK_HOST": "127.0.0.1",
    }
    return env | settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run(
    env: dict[str, str], *arguments: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [*TRACEDESK, *arguments], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


class Console(Protocol):
    """A way to run `tracedesk` console commands: `run` above, or the same command in a
    container of the image (tests/e2e/test_container.py)."""

    def __call__(
        self, env: dict[str, str], *arguments: str, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]: ...


@contextmanager
def serving(
    environment: dict[str, str], log_path: Path, *options: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`tracedesk serve` on a free port until the block ends, then stopped with SIGTERM
    and its log checked: a graceful shutdown, and request ids on every access line."""
    port = free_port()
    log = log_path.open("w")
    process = subprocess.Popen(  # noqa: S603
        [*TRACEDESK, "serve", "--migrate", "--port", str(port), *options],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    # uvicorn re-raises the signal once it has shut down gracefully.
    assert process.returncode in (0, -signal.SIGTERM)
    # JSON lines end at \n alone: splitlines() would also break at a U+2028 or U+0085
    # of a logged path, which JSON leaves as it is.
    lines = log_path.read_text(encoding="utf-8").split("\n")
    assert any("Application shutdown complete" in line for line in lines), lines[-5:]
    requests = [json.loads(line) for line in lines if '"tracedesk.access"' in line]
    assert requests and all(entry["request_id"] for entry in requests)
    assert all("?" not in entry["path"] for entry in requests), "query strings stay out of logs"


def signed_in(
    environment: dict[str, str],
    base: str,
    *,
    agency: str,
    username: str,
    country: str = "FR",
    console: Console = run,
) -> dict[str, str]:
    """An investigator of a new agency, made through the console as an operator would, and
    signed in over HTTP: the header their requests carry."""
    created = console(environment, "admin", "create-agency", "--name", agency, "--country", country)
    assert created.returncode == 0, created.stderr
    user = console(
        environment,
        *("admin", "create-user", "--agency", agency, "--username", username),
        *("--display-name", username, "--role", "investigator", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert user.returncode == 0, user.stderr
    token = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def server_processes(parent: int) -> list[int]:
    """The server processes uvicorn started under `parent` (not its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return found
