"""The web console's speed on the demo data: the server time of every page, the serial
matches shown while an officer types, and the weight of each page.

Runs `tracedesk serve --demo` as the README's first command does (SQLite, the embedded
default; `--database postgresql` for a PostgreSQL database), signs the demo people in
over HTTP, and requests every page in interleaved rounds. Server time is what the
server's own access log says each request took (`duration_ms`, from the first byte in
to the last byte out, middleware and session check included); end-to-end time is the
client's. The baseline, in the same process and the same rounds, is the API's JSON for
the same data (its access log too): what a page costs beyond the API is the page.

The serial matches are measured as an officer types: each realistic serial of the demo
data (Latin, Cyrillic look-alikes, partial) is typed one character at a time, and every
prefix of three characters or more is asked for, as the debounced field does.

Page weight: the page's own HTML plus every stylesheet and script it loads, uncompressed
(fonts and the graph library excluded, as the target says).

    .venv/bin/python -m bench.console_pages [--rounds 60] [--database sqlite|postgresql]

Targets (issue: web console): server time p95 <= 50 ms for every page; serial matches
p95 <= 100 ms end to end; a page's own HTML, CSS and JavaScript <= 300 KB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Final

import httpx

from bench.support import (
    RESULTS,
    ROOT,
    drop_database,
    free_port,
    percentile,
    process,
    recreate_database,
    sqlalchemy_url,
)

SERVER_P95_MS: Final = 50.0
MATCHES_P95_MS: Final = 100.0
WEIGHT_KB: Final = 300.0
DEMO_PASSWORD: Final = "tracedesk-demo-2370"  # noqa: S105 - the demo's documented password
GRAPH_LIBRARY: Final = "cytoscape"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_ASSETS = re.compile(r'<(?:link rel="stylesheet"[^>]*href|script[^>]*src)="(/static/[^"]+)"')


def signed_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/sign-in")
    token = _TOKEN.search(page.text)
    assert token, "no form token on the sign-in page"
    answer = client.post(
        "/sign-in",
        data={"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD},
    )
    assert answer.status_code == 303, answer.text
    return client


def bearer(base: str, username: str) -> httpx.Client:
    token = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    ).json()["access_token"]
    return httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})


def first(pattern: str, html: str) -> str:
    found = re.search(pattern, html)
    assert found, pattern
    return found.group(1)


def pages_and_baselines(base: str) -> tuple[list[tuple[str, httpx.Client, str]], list[str]]:
    """(name, client, path) of every page, with its API baseline; and demo serials."""
    investigator = signed_in(base, "inv.paris")
    supervisor = signed_in(base, "sup.paris")
    officer = signed_in(base, "trace.hamburg")
    admin = signed_in(base, "admin")
    api = bearer(base, "inv.paris")
    api_officer = bearer(base, "trace.hamburg")
    listing = investigator.get("/recoveries").text
    recovery = first(r'href="(/recoveries/[0-9a-f-]{36})"', listing)
    recovery_id = recovery.rsplit("/", 1)[1]
    detail = investigator.get(recovery).text
    outbox = investigator.get("/traces?box=outbox").text
    request = first(r'href="(/traces/[0-9a-f-]{36})"', outbox)
    agency = first(r'href="(/admin/agencies/[0-9a-f-]{36})"', admin.get("/admin/agencies").text)
    pages = [
        ("dashboard", investigator, "/"),
        ("recoveries", investigator, "/recoveries"),
        ("recoveries, filtered", investigator, "/recoveries?make=Glock"),
        ("recovery", investigator, recovery),
        ("record form", investigator, "/recoveries/new"),
        ("correction form", investigator, recovery + "/correct"),
        ("trace request form", investigator, first(r'href="(/recoveries/[^"]+/trace)"', detail)),
        ("network", investigator, recovery + "/network"),
        ("network data", investigator, recovery + "/network.json"),
        ("networks", investigator, "/networks"),
        ("sent requests", investigator, "/traces?box=outbox"),
        ("trace request", investigator, request),
        ("inbox", officer, "/traces?box=inbox"),
        ("statistics", supervisor, "/statistics?period=quarter"),
        ("administration", admin, agency),
        ("account", investigator, "/account"),
        ("sign-in", httpx.Client(base_url=base), "/sign-in"),
        ("API: recoveries", api, "/api/v1/recoveries"),
        ("API: recovery", api, f"/api/v1/recoveries/{recovery_id}"),
        ("API: sent requests", api, "/api/v1/trace-requests?box=outbox"),
        ("API: inbox", api_officer, "/api/v1/trace-requests?box=inbox"),
        ("API: network", api, f"/api/v1/recoveries/{recovery_id}/network"),
    ]
    serials = sorted(set(re.findall(r'<span class="serial">([^<]+)</span>', listing)))
    return pages, serials


def access_log(log: Path) -> list[dict[str, Any]]:
    entries = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if '"tracedesk.access"' in line:
            entries.append(json.loads(line))
    return entries


def weights(client: httpx.Client, html: str) -> tuple[float, float]:
    """(KB of the page's own HTML, CSS and JavaScript; KB of the graph library it loads)."""
    own, graph = len(html.encode()), 0
    for asset in set(_ASSETS.findall(html)):
        size = len(client.get(asset).content)
        if GRAPH_LIBRARY in asset:
            graph += size
        else:
            own += size
    return own / 1024, graph / 1024


def typed(serial: str) -> list[str]:
    return [serial[:end] for end in range(3, len(serial) + 1)]


def measure(base: str, log: Path, rounds: int) -> dict[str, Any]:
    pages, serials = pages_and_baselines(base)
    mark = len(access_log(log))
    client_ms: dict[str, list[float]] = defaultdict(list)
    named: dict[str, str] = {}  # request id -> page
    for number in range(rounds):
        for index, (name, client, path) in enumerate(pages):
            request_id = f"bench-{number}-{index}"
            named[request_id] = name
            started = time.perf_counter()
            answer = client.get(path, headers={"X-Request-Id": request_id})
            client_ms[name].append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, (name, answer.status_code)
    time.sleep(1)  # the last access lines
    server_ms: dict[str, list[float]] = defaultdict(list)
    for entry in access_log(log)[mark:]:
        if entry.get("request_id") in named:
            server_ms[named[entry["request_id"]]].append(float(entry["duration_ms"]))
    # Serial matches, as typed (the recording form's field, debounced to each prefix).
    investigator = pages[0][1]
    matches: list[float] = []
    for serial in serials:
        for prefix in typed(serial):
            started = time.perf_counter()
            answer = investigator.get(
                "/serial-matches",
                params={"field": "items-0", "items-0-serial": prefix},
                headers={"HX-Request": "true"},
            )
            matches.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
    page_weights = {}
    for name, client, path in pages:
        if not name.startswith("API") and name != "network data":
            page_weights[name] = weights(client, client.get(path).text)

    def figures(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "p50": round(percentile(ordered, 0.5), 2),
            "p95": round(percentile(ordered, 0.95), 2),
            "count": len(ordered),
        }

    return {
        "rounds": rounds,
        "pages": {
            name: {
                "server": figures(server_ms[name]),
                "client": figures(client_ms[name]),
                "weight_kb": [round(w, 1) for w in page_weights.get(name, (0.0, 0.0))]
                if name in page_weights
                else None,
            }
            for name, _client, _path in pages
        },
        "matches": {**figures(matches), "serials": len(serials)},
        "targets": {
            "server_p95_ms": SERVER_P95_MS,
            "matches_p95_ms": MATCHES_P95_MS,
            "weight_kb": WEIGHT_KB,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    arguments = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / "console_pages.server.log"
    with tempfile.TemporaryDirectory() as directory:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEDESK_")}
        env["TRACEDESK_ENVIRONMENT"] = "production"  # JSON access lines
        env["TRACEDESK_JWT_SECRET"] = secrets.token_urlsafe(48)
        env["TRACEDESK_HOST"] = "127.0.0.1"
        name = "tracedesk_bench_console"
        if arguments.database == "postgresql":
            recreate_database(name)
            env["TRACEDESK_DATABASE_URL"] = sqlalchemy_url(name)
        else:
            env["TRACEDESK_DATABASE_URL"] = f"sqlite+aiosqlite:///{directory}/tracedesk.db"
        port = free_port()
        command = [
            *(os.environ.get("PYTHON", ".venv/bin/python"), "-m", "service.adapters.cli"),
            *("serve", "--migrate", "--demo", "--port", str(port)),
        ]
        try:
            with process(command, env, f"http://127.0.0.1:{port}/readyz", log):
                base = f"http://127.0.0.1:{port}"
                raw = measure(base, log, arguments.rounds)
        finally:
            if arguments.database == "postgresql":
                drop_database(name)
    raw["database"] = arguments.database
    raw["load_average"] = list(os.getloadavg())
    output = RESULTS / "console_pages.json"
    output.write_text(json.dumps(raw, indent=1), encoding="utf-8")
    print(f"{'page':24} {'server p50/p95 ms':>18} {'client p95 ms':>14} {'KB (graph)':>12}")
    for page_name, figures in raw["pages"].items():
        weight = figures["weight_kb"]
        shown = ""
        if weight:
            shown = f"{weight[0]:.1f}" + (f" (+{weight[1]:.0f})" if weight[1] else "")
        print(
            f"{page_name:24} {figures['server']['p50']:>8.2f} / {figures['server']['p95']:<7.2f}"
            f" {figures['client']['p95']:>14.2f} {shown:>12}"
        )
    matches = raw["matches"]
    print(f"serial matches while typing: p50 {matches['p50']} ms, p95 {matches['p95']} ms")
    print(f"wrote {output.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
