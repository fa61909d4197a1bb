"""Drill (#19): schemathesis fuzzes a real `tracedesk serve` over loopback, from the API's
own OpenAPI document, as an investigator, a tracing officer and an integration's key, on
the demo data set in PostgreSQL. A fixed budget of at least 5,000 generated requests,
spread over every operation, finds no 5xx, and every answer keeps the contract: its
status, content type, headers and body are the ones the document declares for it.

A real process rather than the ASGI app in process: the requests then go through uvicorn's
HTTP parsing, the middleware and the database pool as in production, and the whole run
still takes about two minutes, most of it schemathesis generating and checking.
Schemathesis runs as its command line, `st run`, which goes through its phases in order:
the examples, the coverage phase (boundaries, missing and wrong values, methods the
document does not list, requests without or with a bad token) and random fuzzing, then the
stateful phase chaining what one operation returns into the next. No operation is left
out, the uploads (photos, imports) and the streamed export included; the checks left out
are named, with why, at CHECKS.

Schemathesis also meets uvicorn's own answer to malformed HTTP (400, text/plain, not a
problem), once a run: its first request probes whether a NUL byte in a header is
accepted, and it then sends none. No check sees that answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from service.adapters.api.problems import PROBLEM_TYPES
from service.adapters.demo.catalogue import DEMO_PASSWORD
from tests.databases import create_postgres_database, drop_postgres_database
from tests.e2e.servers import production_environment, run, serving
from tests.pictures import jpeg

pytestmark = pytest.mark.e2e

SCHEMATHESIS: Final = Path(sys.executable).with_name("st")
# Generated requests over the three callers, at least. Each caller's run generates up to
# this many examples of each operation in each phase, and the coverage phase adds the
# cases the document itself calls for (each boundary, each missing or wrong value): about
# 4,500 a caller. Generation is deterministic, so the total is the same every run.
BUDGET: Final = 5_000
EXAMPLES_PER_OPERATION: Final = 25
# Every check schemathesis has but three. `positive_data_acceptance` expects a 2xx for any
# request the document allows, and tracedesk rightly refuses many of them for rules no
# JSON Schema states (a cursor it did not issue, a document number without its country,
# a recovery of another agency, a version that is not the current one in If-Match).
# `object_level_authorization` replays one identity's reads as another's, and needs
# schemathesis configured with several identities at once: each caller here runs alone
# (tests/api/test_access_matrix.py checks who sees what). `max_response_time` times
# answers, which tests here never do.
CHECKS: Final = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
)
AGENCY: Final = "Paris Judicial Police (demo)"
SCOPES: Final = (
    "recoveries:read",
    "recoveries:write",
    "traces:read",
    "traces:request",
    "traces:respond",
    "registries:search",
    "federation:exchange",
)


@dataclass(frozen=True)
class Caller:
    name: str
    authorization: str


@dataclass(frozen=True)
class Outcome:
    caller: str
    generated: int
    tested: int
    operations: int
    failures: list[dict[str, Any]]
    errors: list[Any]
    output: str


@pytest.fixture
def postgres_environment(tmp_path: Path) -> Iterator[dict[str, str]]:
    url = asyncio.run(create_postgres_database())
    env = production_environment(
        TRACEDESK_DATABASE_URL=url,
        # One sign-in per caller before the run, which lasts longer than the default 15
        # minutes on a slow machine; the fuzzer's own failed sign-ins soon pause the
        # address, so no caller could sign in again during it.
        TRACEDESK_ACCESS_TOKEN_MINUTES="60",
        TRACEDESK_PHOTO_DIR=str(tmp_path / "photos"),
        TRACEDESK_IMPORT_DIRECTORY=str(tmp_path / "imports"),
    )
    try:
        yield env
    finally:
        asyncio.run(drop_postgres_database(url))


def _token(base: str, form: dict[str, str]) -> str:
    answer = httpx.post(f"{base}/api/v1/auth/token", data=form, timeout=30)
    assert answer.status_code == 200, answer.text
    return f"Bearer {answer.json()['access_token']}"


def _callers(env: dict[str, str], base: str) -> list[Caller]:
    """An investigator and a tracing officer of the demo's Paris police, and a key of a
    Paris integration with every scope."""
    account = run(
        env,
        *("admin", "create-service-account", "--agency", AGENCY, "--name", "fuzzing"),
        *(arg for scope in SCOPES for arg in ("--scope", scope)),
    )
    assert account.returncode == 0, account.stderr
    key = run(
        env,
        *("admin", "create-api-key", "--service-account"),
        json.loads(account.stdout)["service_account_id"],
    )
    assert key.returncode == 0, key.stderr
    secret = json.loads(key.stdout)
    return [
        Caller(
            "investigator",
            _token(base, {"username": "inv.paris", "password": DEMO_PASSWORD}),
        ),
        Caller(
            "tracing-officer",
            _token(base, {"username": "trace.paris", "password": DEMO_PASSWORD}),
        ),
        Caller(
            "integration",
            _token(
                base,
                {
                    "grant_type": "client_credentials",
                    "client_id": secret["client_id"],
                    "client_secret": secret["client_secret"],
                },
            ),
        ),
    ]


def _known_values(base: str, callers: list[Caller]) -> dict[str, list[str]]:
    """Identifiers of things that exist, so that the fuzzer reaches real recoveries,
    requests, photos, imports and links and not only 404: a photo and an import are made
    for it first."""
    investigator = {"Authorization": callers[0].authorization}
    officer = {"Authorization": callers[1].authorization}
    with httpx.Client(base_url=base, timeout=30) as client:
        recoveries = client.get("/api/v1/recoveries", params={"limit": 6}, headers=investigator)
        assert recoveries.status_code == 200, recoveries.text
        listed = recoveries.json()["recoveries"]
        first = listed[0]
        photo = client.post(
            f"/api/v1/recoveries/{first['id']}/items/{first['items'][0]['id']}/photos",
            files={"photo": ("markings.jpg", jpeg(), "image/jpeg")},
            data={"caption": "Serial on the frame"},
            headers=investigator,
        )
        assert photo.status_code == 201, photo.text
        imported = client.post(
            "/api/v1/imports",
            files={
                "file": (
                    "recoveries.csv",
                    "recovery_key,case_reference,recovered_at,location_description,"
                    "location_country,circumstances,item_kind,make,model,calibre,serial\n"
                    "FZ-1,FZ-2026-001,2026-03-01T10:00:00Z,Marseille port,FR,seizure,"
                    "firearm,Zastava,M70,7.62x39mm,M70 9911\n"
                    "FZ-2,FZ-2026-002,2026-03-02T09:00:00Z,Nice,XF,seizure,firearm,CZ,75,"
                    "9mm,CZ 57\n",
                    "text/csv",
                )
            },
            headers=investigator,
        )
        assert imported.status_code == 202, imported.text
        outbox = client.get("/api/v1/trace-requests?box=outbox", headers=investigator)
        inbox = client.get("/api/v1/trace-requests?box=inbox", headers=officer)
        requests = [r["id"] for box in (outbox, inbox) for r in box.json()["requests"]]
        links = [
            link["id"]
            for recovery in listed
            for link in client.get(
                f"/api/v1/recoveries/{recovery['id']}/network", headers=investigator
            ).json()["links"]
        ]
    assert requests and links
    return {
        "recovery_id": [r["id"] for r in listed],
        "item_id": [item["id"] for r in listed for item in r["items"]],
        "photo_id": [photo.json()["id"]],
        "import_id": [imported.json()["id"]],
        "request_id": requests,
        "link_id": links[:10],
        "name": ["iarms-demo"],
        "slug": sorted(PROBLEM_TYPES),
    }


def _toml(value: Any) -> str:
    # JSON strings and lists of them are TOML as they are (\" and \uXXXX escapes alike).
    return json.dumps(value)


def _configuration(known: dict[str, list[str]], directory: Path) -> Path:
    """Known identifiers in two of three path parameters, and a version that may be the
    current one in one of three If-Match headers; the rest is generated."""
    lines = ["[parameters]"]
    for name in known:
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.7 }}')
    lines.append('"header.if-match" = { dictionary = "versions", probability = 0.7 }')
    lines.append("[dictionaries]")
    for name, values in known.items():
        lines.append(f"{name} = {{ values = {_toml(values)} }}")
    versions = [f'"v{n}"' for n in range(1, 5)]
    lines.append(f"versions = {{ values = {_toml(versions)} }}")
    path = directory / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _fuzz(base: str, caller: Caller, configuration: Path, directory: Path) -> Outcome:
    directory.mkdir()
    completed = subprocess.run(  # noqa: S603 - schemathesis of this environment, fixed arguments
        [
            str(SCHEMATHESIS),
            *("--config-file", str(configuration)),
            "run",
            f"{base}/openapi.json",
            *("--header", f"Authorization: {caller.authorization}"),
            *("--checks", ",".join(CHECKS)),
            *("--max-examples", str(EXAMPLES_PER_OPERATION)),
            # Repeatable in CI: the same cases every run, and (implied) none kept from
            # an earlier run to be tried again.
            "--generation-deterministic",
            *("--workers", "1"),
            # The whole budget is spent even after a failure, so that every failure is found.
            "--continue-on-failure",
            *("--phases", "examples,coverage,fuzzing,stateful"),
            *("--report", "json"),
            *("--report-dir", str(directory)),
            "--no-color",
        ],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=900,
    )
    reports = list(directory.glob("json-*.json"))
    assert reports, f"schemathesis wrote no report:\n{completed.stdout}\n{completed.stderr}"
    report = json.loads(reports[0].read_text(encoding="utf-8"))
    return Outcome(
        caller=caller.name,
        generated=report["test_cases"]["generated"],
        tested=report["operations"]["tested"],
        operations=report["operations"]["total"],
        failures=report["failures"],
        errors=report["errors"],
        output=completed.stdout + completed.stderr,
    )


def _answered(log: Path) -> Counter[int]:
    """The statuses of every request the server answered, from its access log."""
    statuses: Counter[int] = Counter()
    for line in log.read_text(encoding="utf-8").split("\n"):
        if '"tracedesk.access"' in line:
            statuses[json.loads(line)["status"]] += 1
    return statuses


def _failures(outcome: Outcome) -> str:
    """Schemathesis's own account of the failures: each with the answer and a curl line."""
    found = re.search(r"^=+ FAILURES =+$(.*?)^=+ SUMMARY =+$", outcome.output, re.M | re.S)
    return found.group(1) if found else outcome.output[-20_000:]


def test_generated_requests_find_no_server_error_and_no_answer_outside_the_contract(
    postgres_environment: dict[str, str], tmp_path: Path
) -> None:
    env = postgres_environment
    log = tmp_path / "server.log"
    started = time.monotonic()
    with serving(env, log, "--demo") as (base, _):
        callers = _callers(env, base)
        configuration = _configuration(_known_values(base, callers), tmp_path)
        before = sum(_answered(log).values())
        outcomes = [_fuzz(base, c, configuration, tmp_path / c.name) for c in callers]
    answered = _answered(log)
    seconds = time.monotonic() - started

    generated = sum(o.generated for o in outcomes)
    each = ", ".join(f"{o.caller} {o.generated}" for o in outcomes)
    print(
        f"{generated} generated requests ({each}); "
        f"{sum(answered.values()) - before} answered by the server in all; {seconds:.0f} s"
    )
    failed = [o for o in outcomes if o.failures or o.errors]
    assert not failed, "\n".join(
        f"as the {o.caller}: {json.dumps(o.failures + o.errors, indent=1)}\n{_failures(o)}"
        for o in failed
    )
    assert all(o.tested == o.operations > 40 for o in outcomes), outcomes
    assert generated >= BUDGET
    # Every generated request reached the application and was answered.
    assert sum(answered.values()) - before >= generated
    assert not [status for status in answered if status >= 500], answered
