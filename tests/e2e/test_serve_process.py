"""`tracedesk serve` as a real process, driven over HTTP on a loopback port."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import create_postgres_database, drop_postgres_database, sqlite_url
from tests.e2e.servers import (
    TRACEDESK,
    free_port,
    production_environment,
    run,
    server_processes,
    serving,
    signed_in,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["sqlite", "postgresql"])
def environment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = production_environment()
    if request.param == "sqlite":
        env["TRACEDESK_DATABASE_URL"] = sqlite_url(tmp_path)
        yield env
        return
    url = asyncio.run(create_postgres_database())
    env["TRACEDESK_DATABASE_URL"] = url
    try:
        yield env
    finally:
        asyncio.run(drop_postgres_database(url))


@pytest.fixture
def server(environment: dict[str, str], tmp_path: Path) -> Iterator[str]:
    with serving(environment, tmp_path / "server.log") as (base, _):
        yield base


def test_an_investigator_records_corrects_and_finds_a_weapon(
    environment: dict[str, str], server: str
) -> None:
    auth = signed_in(environment, server, agency="E2E Police", username="e2e.investigator")
    with httpx.Client(base_url=server, timeout=10) as client:
        body = {
            "case_reference": "E2E-1",
            "recovered_at": "2026-11-01T10:30:00+01:00",
            "location": {"description": "Quai de Seine", "country": "FR"},
            "circumstances": "seizure",
            "items": [
                {"kind": "firearm", "make": "Zastava", "serial": "731 2O4", "calibre": "7.62x39"}
            ],
        }
        response = client.post("/api/v1/recoveries", json=body, headers=auth)
        assert response.status_code == 201, response.text
        recovery = response.json()
        assert recovery["items"][0]["make_canonical"] == "Zastava Arms"
        assert response.headers["x-request-id"]

        corrected = client.patch(
            f"/api/v1/recoveries/{recovery['id']}",
            json={
                "reason": "letter O was a zero",
                "items": [{"id": recovery["items"][0]["id"], "serial": "731 204"}],
            },
            headers={**auth, "If-Match": response.headers["etag"]},
        )
        assert corrected.status_code == 200 and corrected.headers["etag"] == '"v2"'

        found = client.get(
            "/api/v1/search/serials", params={"serial": "7312O4"}, headers=auth
        ).json()
        assert [(m["serial"], m["match_kind"]) for m in found["matches"]] == [
            ("731 204", "skeleton")
        ]


def malformed_http_refusal(base: str) -> dict[str, object]:
    """What the server answers to a request line no HTTP parser accepts."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b"GET /api/v1/recoveries HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *headers = head.decode("ascii").split("\r\n")
    assert status == "HTTP/1.1 400 Bad Request", answer
    fields = dict(line.lower().split(": ", 1) for line in headers)
    assert fields["content-type"] == "application/problem+json", answer
    assert int(fields["content-length"]) == len(body)
    problem: dict[str, object] = json.loads(body)
    assert problem["status"] == 400 and problem["detail"], problem
    return problem


def test_a_request_no_parser_accepts_is_refused_with_a_problem(server: str) -> None:
    assert malformed_http_refusal(server)["type"] == "/problems/malformed-http"
    assert httpx.get(f"{server}/readyz").status_code == 200  # and the server serves on


def test_serve_refuses_an_unmigrated_database(environment: dict[str, str]) -> None:
    refused = run(environment, "serve", "--port", str(free_port()))
    assert refused.returncode == 2
    assert "tracedesk db upgrade" in refused.stderr


def test_a_bad_setting_is_named_without_its_value_or_a_traceback(
    environment: dict[str, str],
) -> None:
    refused = run({**environment, "TRACEDESK_PROCESSES": "none"}, "db", "status")
    assert refused.returncode == 2
    assert refused.stderr.startswith("tracedesk: TRACEDESK_PROCESSES: ")
    assert "Traceback" not in refused.stderr and "none" not in refused.stderr
    too_few = run(environment, "serve", "--processes", "0")
    assert too_few.returncode == 2 and "--processes: must be at least 1" in too_few.stderr


def test_serve_refuses_public_addresses_with_the_development_secret(
    environment: dict[str, str],
) -> None:
    development = {k: v for k, v in environment.items() if k not in PRODUCTION_SETTINGS}
    refused = run(development, "serve", "--host", "0.0.0.0", "--migrate")  # noqa: S104
    assert refused.returncode == 2
    assert "refusing to listen on 0.0.0.0" in refused.stderr
    assert "TRACEDESK_JWT_SECRET" in refused.stderr


PRODUCTION_SETTINGS = ("TRACEDESK_ENVIRONMENT", "TRACEDESK_JWT_SECRET", "TRACEDESK_HOST")


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("TRACEDESK_JWT_SECRET", "short", "TRACEDESK_JWT_SECRET: must be at least 32 bytes"),
        ("TRACEDESK_JWT_SECRET", "CHANGE-ME", "TRACEDESK_JWT_SECRET: must be at least 32 bytes"),
        ("TRACEDESK_DATABASE_URL", "mysql://root:hunter2@db/x", "does not speak 'mysql'"),
    ],
)
def test_a_setting_no_one_should_serve_with_is_one_line(
    environment: dict[str, str], setting: str, value: str, said: str
) -> None:
    refused = run({**environment, setting: value}, "serve", "--migrate", "--port", "1")
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert said in refused.stderr and "hunter2" not in refused.stderr


def test_production_refuses_the_development_secret(environment: dict[str, str]) -> None:
    without = {k: v for k, v in environment.items() if k != "TRACEDESK_JWT_SECRET"}
    refused = run(without, "db", "status")
    assert refused.returncode == 2
    assert "TRACEDESK_JWT_SECRET: production needs a signing secret" in refused.stderr


def test_a_database_that_cannot_be_reached_is_one_line(environment: dict[str, str]) -> None:
    away = {
        **environment,
        "TRACEDESK_DATABASE_URL": f"postgresql://u:hunter2@127.0.0.1:{free_port()}/x",
    }
    refused = run(away, "serve", "--migrate", "--port", str(free_port()))
    assert refused.returncode == 2
    assert refused.stderr.startswith("tracedesk: cannot reach PostgreSQL at 127.0.0.1:")
    assert "Traceback" not in refused.stderr and "hunter2" not in refused.stderr


def test_a_port_in_use_is_found_before_migrating(environment: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = run(environment, "serve", "--migrate", "--port", str(port))
    assert refused.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: in use" in refused.stderr
    assert run(environment, "db", "status").returncode == 1, "migrated all the same"


def test_the_console_disables_a_user_and_exports_a_trail_anyone_can_check(
    environment: dict[str, str], server: str, tmp_path: Path
) -> None:
    auth = signed_in(environment, server, agency="E2E", username="e2e.leaver", country="RS")
    with httpx.Client(base_url=server, timeout=10) as client:
        assert (
            client.get("/api/v1/search/serials", params={"serial": "X1"}, headers=auth).status_code
            == 200
        )

        disabled = run(
            environment, "admin", "disable-user", "--username", "e2e.leaver", "--reason", "left"
        )
        assert disabled.returncode == 0, disabled.stderr
        # The server learns of it from another process (NOTIFY on PostgreSQL, a read per
        # request on SQLite) before the token expires.
        refused = client.get("/api/v1/search/serials", params={"serial": "X1"}, headers=auth)
        assert refused.status_code == 401, refused.text

    verified = run(environment, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("ok: ")

    export = tmp_path / "audit.ndjson"
    exported = run(environment, "audit", "export", str(export))
    assert exported.returncode == 0, exported.stderr
    lines = export.read_text(encoding="utf-8").splitlines()
    actions = [json.loads(json.loads(line)["payload"])["action"] for line in lines[:-1]]
    assert {"agency.created", "user.created", "auth.login_succeeded", "user.disabled"} <= set(
        actions
    )

    checked = check_export(export)
    assert checked.returncode == 0, checked.stderr
    head = json.loads(lines[-1])["head"]
    assert f"head {head['seq']} {head['hash']}" in checked.stdout
    assert verified.stdout.split()[-1] == head["hash"]

    tampered = tmp_path / "tampered.ndjson"
    tampered.write_text("\n".join([lines[0].replace("E2E", "E3E"), *lines[1:]]), encoding="utf-8")
    assert "event 1 was changed" in check_export(tampered).stderr
    gap = tmp_path / "gap.ndjson"
    gap.write_text("\n".join([lines[0], *lines[2:]]), encoding="utf-8")
    assert "event 2 is missing" in check_export(gap).stderr
    anchored = check_export(export, "--anchor", f"1:{'f' * 64}")
    assert anchored.returncode == 1 and "history before it was rewritten" in anchored.stderr


def check_export(path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """The stand-alone checker an outside party runs, with nothing of tracedesk imported."""
    script = Path(__file__).parents[2] / "deploy" / "verify-audit-export.py"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-I", str(script), str(path), *options],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_several_processes_serve_one_port_and_one_database(
    environment: dict[str, str], tmp_path: Path
) -> None:
    log_path = tmp_path / "server.log"
    with serving(environment, log_path, "--processes", "2") as (base, process):
        assert len(server_processes(process.pid)) == 2
        auth = signed_in(environment, base, agency="Two", username="e2e.two")
        body = {
            "case_reference": "TWO-1",
            "recovered_at": "2026-11-01T10:30:00Z",
            "location": {"description": "Gare", "country": "FR"},
            "circumstances": "seizure",
            "items": [{"kind": "firearm", "make": "Glock", "serial": "TWO 001"}],
        }
        # A new connection each time, so the kernel spreads them over both processes;
        # whichever recorded it, each answers for all.
        recorded = [
            httpx.post(f"{base}/api/v1/recoveries", json=body, headers=auth) for _ in range(6)
        ]
        assert all(r.status_code == 201 for r in recorded), [r.text for r in recorded]
        for response in recorded:
            read = httpx.get(f"{base}/api/v1/recoveries/{response.json()['id']}", headers=auth)
            assert read.status_code == 200
        # Whichever process a scrape reaches, it counts the requests of both.
        for _ in range(4):
            scraped = httpx.get(f"{base}/metrics").text
            (written,) = [
                line
                for line in scraped.splitlines()
                if line.startswith("tracedesk_http_request_duration_seconds_count{")
                and 'route="/api/v1/recoveries"' in line
                and 'method="POST"' in line
            ]
            assert float(written.rsplit(" ", 1)[1]) == 6
        # The parser's own refusals are problems too, in every process.
        for _ in range(4):
            assert malformed_http_refusal(base)["type"] == "/problems/malformed-http"
    lines = log_path.read_text().splitlines()
    assert sum("Application shutdown complete" in line for line in lines) == 2


def test_bytes_that_are_not_utf8_on_the_command_line_are_named_not_a_traceback(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEDESK_")}
    env["TRACEDESK_DATABASE_URL"] = sqlite_url(tmp_path)
    assert run(env, "db", "upgrade").returncode == 0
    refused = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [*TRACEDESK, "admin", "create-agency", "--name", b"Par\xffis", "--country", "FR"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert refused.stderr.decode() == "tracedesk: --name: not UTF-8 text\n"
    created = run(env, "admin", "create-agency", "--name", "Paris", "--country", "FR")
    assert created.returncode == 0, created.stderr
    user = subprocess.run(  # noqa: S603
        [
            *TRACEDESK,
            *("admin", "create-user", "--agency", "Paris", "--username", "u.one"),
            *("--display-name", "U", "--role", "investigator", "--password-stdin"),
        ],
        env=env,
        input=b"a long password \xff here\n",
        capture_output=True,
        timeout=60,
    )
    assert user.returncode == 2
    assert b"not UTF-8" in user.stderr and b"Traceback" not in user.stderr


EXAMPLE_ENVIRONMENT = Path(__file__).parents[2] / "deploy" / "tracedesk.env.example"


def test_the_shipped_environment_file_is_read_as_the_unit_reads_it(
    environment: dict[str, str], tmp_path: Path
) -> None:
    """The example file as shipped (comments and all) is refused for its placeholder
    secret in one line; with the placeholders replaced, it is the configuration."""
    bare = {k: v for k, v in environment.items() if not k.startswith("TRACEDESK_")}
    example = tmp_path / "tracedesk.env"
    example.write_text(EXAMPLE_ENVIRONMENT.read_text(encoding="utf-8"), encoding="utf-8")
    refused = run(bare, "--env-file", str(example), "db", "status")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "tracedesk: TRACEDESK_JWT_SECRET: must be at least 32 bytes (openssl rand -base64 48)"
    ]

    lines = EXAMPLE_ENVIRONMENT.read_text(encoding="utf-8").splitlines()
    filled = [
        f"TRACEDESK_DATABASE_URL={environment['TRACEDESK_DATABASE_URL']}"
        if line.startswith("TRACEDESK_DATABASE_URL=")
        else "TRACEDESK_JWT_SECRET=" + "q" * 48
        if line.startswith("TRACEDESK_JWT_SECRET=")
        else line
        for line in lines
    ]
    example.write_text("\n".join(filled) + "\n", encoding="utf-8")
    migrated = run(bare, "--env-file", str(example), "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    assert run(bare, "--env-file", str(example), "db", "status").returncode == 0
    # The environment's own settings win over the file's, as systemd's Environment= does.
    elsewhere = {**bare, "TRACEDESK_DATABASE_URL": f"postgresql://u@127.0.0.1:{free_port()}/x"}
    away = run(elsewhere, "--env-file", str(example), "db", "status")
    assert away.returncode == 2 and "cannot reach PostgreSQL" in away.stderr
    missing = run(bare, "--env-file", str(tmp_path / "absent.env"), "db", "status")
    assert missing.returncode == 2
    assert missing.stderr.startswith("tracedesk: --env-file: cannot read")
