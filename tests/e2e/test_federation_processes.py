"""Two `tracedesk serve` processes on loopback, each with its own database, exchange a
trace request and its answer through the HTTP trace channel; then the same with the
responding instance stopped while the request is submitted, and started again later:
the request arrives, once.

Everything is set up as an operator would: the console creates the agencies (the other
instance's agency with its id there and `--peer`), the service accounts and their keys,
and a connections file names the peer with the environment variable of its secret."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import sqlite_url
from tests.e2e.servers import TRACEDESK, free_port, run

pytestmark = pytest.mark.e2e
PASSWORD = "a federation password"
CHAIN = [
    {
        "kind": "sale",
        "date": "2021-03-15",
        "party": {"name": "Waffen Nord", "role": "dealer", "country": "DE", "licence": "WBK-9"},
    }
]


@dataclass
class Site:
    """One instance: its database, port, console environment and (when running) process."""

    name: str
    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEDESK_")}
        env |= {
            "TRACEDESK_DATABASE_URL": sqlite_url(self.directory),
            "TRACEDESK_ENVIRONMENT": "production",
            "TRACEDESK_JWT_SECRET": f"{self.name}-" + "s" * 40,
            "TRACEDESK_HOST": "127.0.0.1",
        }
        return env | extra

    def console(self, *arguments: str, stdin: str | None = None) -> dict[str, Any]:
        done = run(self.env(), *arguments, stdin=stdin)
        assert done.returncode == 0, done.stderr
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        return dict(json.loads(lines[-1])) if lines else {}

    def start(self, connections: Path, secret_variable: str, secret: str) -> None:
        log = (self.directory / "server.log").open("a")
        self.process = subprocess.Popen(  # noqa: S603 - our own CLI
            [*TRACEDESK, "serve", "--migrate", "--port", str(self.port)],
            env=self.env(TRACEDESK_CONNECTIONS_FILE=str(connections), **{secret_variable: secret}),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, (self.directory / "server.log").read_text()
            assert time.monotonic() < deadline, f"{self.name} did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def token(self, username: str) -> dict[str, str]:
        response = httpx.post(
            f"{self.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@dataclass
class Pair:
    paris: Site
    berlin: Site
    start_paris: Any
    start_berlin: Any


def _setup(tmp_path: Path) -> Pair:
    paris, berlin = Site("paris", tmp_path / "paris"), Site("berlin", tmp_path / "berlin")
    for site in (paris, berlin):
        site.directory.mkdir()
        site.console("db", "upgrade")
    police = paris.console("admin", "create-agency", "--name", "Police FR", "--country", "FR")
    bka = berlin.console("admin", "create-agency", "--name", "BKA", "--country", "DE")
    paris.console(
        *("admin", "create-agency", "--name", "BKA", "--country", "DE"),
        *("--id", bka["agency_id"], "--peer", "berlin"),
    )
    berlin.console(
        *("admin", "create-agency", "--name", "Police FR", "--country", "FR"),
        *("--id", police["agency_id"], "--peer", "paris"),
    )
    keys = {}
    # Each instance gives the other's agency a service account and a key to call it with.
    for site, guest in ((berlin, "Police FR"), (paris, "BKA")):
        account = site.console(
            *("admin", "create-service-account", "--agency", guest),
            *("--name", "peer", "--scope", "federation:exchange"),
        )
        keys[site.name] = site.console(
            "admin", "create-api-key", "--service-account", account["service_account_id"]
        )
    for site, agency, username, role in (
        (paris, "Police FR", "investigator", "investigator"),
        (paris, "Police FR", "supervisor", "supervisor"),
        (berlin, "BKA", "officer", "tracing_officer"),
    ):
        site.console(
            *("admin", "create-user", "--agency", agency, "--username", username),
            *("--display-name", username, "--role", role, "--password-stdin"),
            stdin=PASSWORD + "\n",
        )

    def starter(site: Site, peer: Site) -> Any:
        connections = site.directory / "connections.toml"
        key = keys[peer.name]
        connections.write_text(
            f'[[peer]]\nname = "{peer.name}"\nurl = "{peer.url}"\n'
            f'client_id = "{key["client_id"]}"\nclient_secret_env = "PEER_SECRET"\n'
            "timeout_seconds = 2\n",
            encoding="utf-8",
        )
        return lambda: site.start(connections, "PEER_SECRET", key["client_secret"])

    return Pair(paris, berlin, starter(paris, berlin), starter(berlin, paris))


@contextmanager
def running(*sites: Site) -> Iterator[None]:
    try:
        yield
    finally:
        for site in sites:
            site.stop()


def ask(paris: Site, investigator: dict[str, str], bka: str) -> dict[str, Any]:
    body = {
        "case_reference": "CASE-FED-1",
        "recovered_at": "2026-11-01T10:30:00Z",
        "location": {"description": "Gare du Nord, Paris", "country": "FR"},
        "circumstances": "seizure",
        "items": [{"kind": "firearm", "make": "Walther", "model": "P99", "serial": "FK 2231"}],
    }
    recovery = httpx.post(f"{paris.url}/api/v1/recoveries", json=body, headers=investigator)
    assert recovery.status_code == 201, recovery.text
    asked = httpx.post(
        f"{paris.url}/api/v1/trace-requests",
        json={
            "recovery_id": recovery.json()["id"],
            "item_id": recovery.json()["items"][0]["id"],
            "addressee": {"agency_id": bka},
            "legal_justification": "Seized from a courier at the station.",
            "intended_use": "Criminal investigation",
            "priority": "urgent",
            "submit": True,
        },
        headers=investigator,
    )
    assert asked.status_code == 201, asked.text
    return dict(asked.json())


def wait_for(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def inbox(berlin: Site, officer: dict[str, str]) -> list[dict[str, Any]]:
    listed = httpx.get(
        f"{berlin.url}/api/v1/trace-requests", params={"box": "inbox"}, headers=officer
    )
    assert listed.status_code == 200, listed.text
    return list(listed.json()["requests"])


def bka_id(paris: Site) -> str:
    listed = run(paris.env(), "admin", "list-agencies").stdout.splitlines()
    return next(json.loads(line)["agency_id"] for line in listed if '"BKA"' in line)


def test_two_instances_exchange_a_request_and_its_answer(tmp_path: Path) -> None:
    pair = _setup(tmp_path)
    paris, berlin = pair.paris, pair.berlin
    with running(paris, berlin):
        pair.start_paris()
        pair.start_berlin()
        investigator, officer = paris.token("investigator"), berlin.token("officer")
        asked = ask(paris, investigator, bka_id(paris))

        (arrived,) = wait_for(lambda: inbox(berlin, officer))
        assert arrived["id"] == asked["id"] and arrived["status"] == "submitted"
        there = httpx.get(f"{berlin.url}/api/v1/trace-requests/{asked['id']}", headers=officer)
        acknowledged = httpx.post(
            f"{berlin.url}/api/v1/trace-requests/{asked['id']}/acknowledge",
            headers={**officer, "If-Match": there.headers["etag"]},
        )
        assert acknowledged.status_code == 200, acknowledged.text
        responded = httpx.post(
            f"{berlin.url}/api/v1/trace-requests/{asked['id']}/respond",
            json={"outcome": "traced", "chain_of_custody": CHAIN},
            headers={**officer, "If-Match": acknowledged.headers["etag"]},
        )
        assert responded.status_code == 200, responded.text

        def answered() -> dict[str, Any] | None:
            here = httpx.get(
                f"{paris.url}/api/v1/trace-requests/{asked['id']}", headers=investigator
            ).json()
            return here if here["status"] == "responded" else None

        here = wait_for(answered)
        assert here["responses"] == responded.json()["responses"]
        assert here["responses"][0]["chain_of_custody"][0]["party"]["licence"] == "WBK-9"
        assert here["delivery"]["state"] == "delivered"


def test_a_request_submitted_while_the_responder_is_down_arrives_once(tmp_path: Path) -> None:
    pair = _setup(tmp_path)
    paris, berlin = pair.paris, pair.berlin
    with running(paris, berlin):
        pair.start_paris()
        investigator = paris.token("investigator")
        asked = ask(paris, investigator, bka_id(paris))

        def failing() -> dict[str, Any] | None:
            delivery = httpx.get(
                f"{paris.url}/api/v1/trace-requests/{asked['id']}", headers=investigator
            ).json()["delivery"]
            return delivery if delivery["last_error"] else None

        delivery = wait_for(failing)
        assert delivery["state"] == "waiting" and "cannot be reached" in delivery["last_error"]

        # Paris restarts too while Berlin is away: nothing accepted is lost.
        paris.stop()
        pair.start_paris()

        # Berlin stays away until the backoff Paris's failures earned is long: the next
        # attempt at least 12 s off.
        def long_backoff() -> bool:
            delivery = httpx.get(
                f"{paris.url}/api/v1/trace-requests/{asked['id']}", headers=investigator
            ).json()["delivery"]
            due = datetime.fromisoformat(delivery["next_attempt_at"])
            return due - datetime.now(UTC) >= timedelta(seconds=12)

        wait_for(long_backoff, timeout=60)
        pair.start_berlin()
        back = time.monotonic()
        officer = berlin.token("officer")
        (arrived,) = wait_for(lambda: inbox(berlin, officer), timeout=60)
        assert arrived["id"] == asked["id"]
        # Paris checks the peer it could not reach about once a second and sends what
        # waited as soon as it answers, not after the backoff its failures earned.
        waited = time.monotonic() - back
        assert waited <= 10, f"arrived {waited:.1f} s after Berlin was back"

        def delivered() -> bool:
            here = httpx.get(
                f"{paris.url}/api/v1/trace-requests/{asked['id']}", headers=investigator
            ).json()
            return bool(here["delivery"]["state"] == "delivered")

        wait_for(delivered, timeout=60)
        time.sleep(1)  # a second delivery would have arrived by now
        assert [r["id"] for r in inbox(berlin, officer)] == [asked["id"]]
