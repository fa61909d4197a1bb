"""Turning what a benchmark wrote to bench/results/NAME.json into the tables of
bench/figures/NAME.json (see bench/report.py): one function per benchmark, which rounds
the figures, names the rows and attaches the targets the benchmark itself checks.

The benchmarks' modules are imported where their targets are needed, so that rendering
the figures needs none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Table = dict[str, Any]


def _pair(values: Any) -> list[float]:
    return [round(float(v), 2) for v in values]


def _ms(figures: dict[str, Any]) -> list[float]:
    return _pair((figures["p50_ms"], figures["p99_ms"]))


MS = {"unit": "ms", "digits": 2}


def serial_search(raw: dict[str, Any]) -> list[Table]:
    from bench.serial_http import KEY_MIX
    from bench.serial_queries import KEY_KINDS
    from bench.serial_search import HTTP_P99_MS, RATIO_MAX, SEARCH_P99_MS, STATEMENT_P99_MS

    items, fresh = raw["items"], raw["fresh"]
    scale = f"{items:,} items" + (", no statistics" if fresh else "")
    state = (
        "right after loading (rows copied into the indexed tables, nothing analysed: no "
        "column statistics)"
        if fresh
        else "after the load (indexes rebuilt, `VACUUM ANALYZE`)"
    )
    rows = []
    for shape, r in raw["in_process"].items():
        label = shape.split(" (")[0] + (f" (`{r['example']}`)" if "(" in shape else "")
        targets = []
        if shape in KEY_KINDS:
            targets.append(
                {"what": "statement", "column": "statement p50 / p99", "max": STATEMENT_P99_MS}
            )
        if not fresh:
            targets.append(
                {"what": "search", "column": "search p50 / p99", "max": SEARCH_P99_MS[shape]}
            )
            targets.append({"what": "ratio", "column": "p99 ratio", "max": RATIO_MAX})
        rows.append(
            [
                label,
                _pair(r["statement"]),
                _pair(r["search"]),
                _pair(r["raw"]),
                RAW_INDEX[shape.split(" (")[0]],
                round(r["search"][1] / r["raw"][1], 1),
                targets,
            ]
        )
    in_process = {
        "key": f"{items} items{', fresh' if fresh else ''}",
        "caption": f"In process, {items:,} items {state}; {raw['queries']} queries per shape.",
        "columns": [
            {"name": "query shape"},
            {"name": "statement p50 / p99", **MS},
            {"name": "search p50 / p99", **MS},
            {"name": "raw lookup p50 / p99", **MS},
            {"name": "raw lookup"},
            {"name": "p99 ratio", "unit": "x", "digits": 1},
            {"name": "targets"},
        ],
        "rows": rows,
    }
    http_rows = []
    for mix, by_clients in raw["http"].items():
        for clients, r in by_clients.items():
            target = (
                [{"what": "p99", "column": "p50 / p99", "max": HTTP_P99_MS}]
                if mix == KEY_MIX and int(clients) == 1
                else None
            )
            http_rows.append([mix, int(clients), round(r["per_second"]), _ms(r), target])
    http = {
        "key": f"{items} items{', fresh' if fresh else ''}, HTTP",
        "caption": f"`GET /api/v1/search/serials` over HTTP, {scale}: a `tracedesk serve` "
        "process, signed in, every search authenticated and audited; `bench/loadgen.py` in "
        f"its own process, {raw['http_seconds']:g} seconds per point.",
        "columns": [
            {"name": "queries"},
            {"name": "clients"},
            {"name": "requests/s"},
            {"name": "p50 / p99", **MS},
            {"name": "target"},
        ],
        "rows": http_rows,
    }
    return [in_process, http]


RAW_INDEX = {
    "exact": "B-tree equality",
    "normalized": "B-tree equality",
    "skeleton": "B-tree equality",
    "edit": "B-tree, deletion neighbourhood",
    "transliterated": "B-tree, spellings",
    "pattern, one ?": "deletion key",
    "pattern, two runs of 2": "deletion key",
    "pattern, * inside": "reversed-key range",
    "pattern, inner run": "trigram GIN",
}


def http_write(raw: dict[str, Any]) -> list[Table]:
    from bench.http_write import (
        OUR_SEARCH,
        OURS,
        P99_MAX_MS,
        RATIO_MIN,
        SEARCH_RATIO_MIN,
    )

    processes = raw["processes"]
    names = {
        OURS: "tracedesk POST /api/v1/recoveries (authenticated, validated, 5 tables, "
        "audited, outbox, logged)",
        OUR_SEARCH: "tracedesk GET /api/v1/search/serials (authenticated, every match kind, "
        "audited)",
    }
    rows = [
        [names.get(name, name), round(r["per_second"]), _ms(r)]
        for name, r in raw["summary"].items()
    ]
    checks: list[dict[str, Any]] = [
        {"label": "tracedesk / raw writes", "value": round(raw["ratio"], 2), "digits": 2,
         "min": RATIO_MIN},
        {"label": "tracedesk write p99", "value": round(raw["summary"][OURS]["p99_ms"], 1),
         "unit": "ms", "digits": 1, "max": P99_MAX_MS},
    ]  # fmt: skip
    if "search_ratio" in raw:
        checks.append(
            {
                "label": "tracedesk / raw searches",
                "value": round(raw["search_ratio"], 2),
                "digits": 2,
                "min": SEARCH_RATIO_MIN,
            }  # fmt: skip
        )
    return [
        {
            "key": f"{processes} process{'es' if processes > 1 else ''}, "
            f"{raw['rounds']} rounds of {raw['seconds']:g} s",
            "caption": f"{raw['connections']} connections, median of {raw['rounds']} rounds of "
            f"{raw['seconds']:g} s, alternating; {processes} server "
            f"process{'es' if processes > 1 else ''} each.",
            "columns": [
                {"name": "server"},
                {"name": "requests/s"},
                {"name": "p50 / p99", "unit": "ms", "digits": 1},
            ],
            "rows": rows,
            "checks": checks,
        }
    ]


def auth_overhead(raw: dict[str, Any]) -> list[Table]:
    from bench.auth_overhead import ADDED_MAX_MS

    p50 = raw["p50_ms"]
    baseline = p50["authentication bypassed"]
    described = {
        "authenticated": "as served: token verification, the account check, the policy",
        "account read every time": "the account read from the database on every request",
    }
    return [
        {
            "key": f"{raw['requests']} requests",
            "caption": f"`GET /api/v1/recoveries/{{id}}`, {raw['requests']:,} requests each, "
            "interleaved, next to the same application with authentication bypassed inside "
            "the benchmark process.",
            "columns": [{"name": "authentication"}, {"name": "added at p50", **MS}],
            "rows": [[text, round(p50[name] - baseline, 2)] for name, text in described.items()],
            "checks": [
                {
                    "label": "most added at p50",
                    "unit": "ms",
                    "digits": 2,
                    "value": round(max(p50[n] for n in described) - baseline, 2),
                    "max": ADDED_MAX_MS,
                },
            ],
        }
    ]


def audit_write(raw: dict[str, Any]) -> list[Table]:
    from bench.audit_write import RATIO_MIN

    cost, http = raw["cost"], raw["http"]
    return [
        {
            "key": f"{raw['writes']} writes",
            "caption": f"`record_recovery`, sequential, {raw['writes']:,} writes each, "
            "interleaved.",
            "columns": [
                {"name": "write"},
                {"name": "p50 / p99", **MS},
                {"name": "CPU per write", **MS},
            ],
            "rows": [[name, _pair(c[:2]), round(c[2], 2)] for name, c in cost.items()],
            "checks": [
                {
                    "label": "the audit append adds at p50",
                    "unit": "ms",
                    "digits": 2,
                    "value": round(cost["with audit event"][0] - cost["without audit event"][0], 2),
                },
            ],
        },
        {
            "key": f"over HTTP, {raw['rounds']} rounds of {raw['seconds']:g} s",
            "caption": "`POST /api/v1/recoveries`, 32 connections, audited next to an "
            f"application whose unit of work drops audit events, median of {raw['rounds']} "
            f"rounds of {raw['seconds']:g} s.",
            "columns": [
                {"name": "server"},
                {"name": "requests/s"},
                {"name": "p99", "unit": "ms", "digits": 1},
            ],
            "rows": [[n, round(h["per_second"]), round(h["p99_ms"], 1)] for n, h in http.items()],
            "checks": [
                {
                    "label": "audited / unaudited throughput",
                    "digits": 2,
                    "min": RATIO_MIN,
                    "value": round(
                        http["audited"]["per_second"] / http["unaudited"]["per_second"], 2
                    ),
                },
            ],
        },
    ]


def inbox_listing(raw: dict[str, Any]) -> list[Table]:
    from bench.inbox_listing import TARGET_P99_MS

    return [
        {
            "key": f"{raw['requests']} requests",
            "caption": f"{raw['requests']:,} trace requests in every state, {raw['inbox']:,} "
            f"addressed to the officer's agency, {raw['queries']:,} queries each, interleaved "
            "with the raw SQL of the same query. HTTP is the whole handler in process "
            "(authentication, query, read record, JSON of 50 summaries).",
            "columns": [
                {"name": "query"},
                {"name": "raw SQL p50 / p99", **MS},
                {"name": "use case p50 / p99", **MS},
                {"name": "HTTP p50 / p99", **MS},
                {"name": "target"},
            ],
            "rows": [
                [
                    name,
                    _pair((r["raw_p50"], r["raw_p99"])),
                    _pair((r["ours_p50"], r["ours_p99"])),
                    _pair((r["http_p50"], r["http_p99"])),
                    [{"what": "HTTP p99", "column": "HTTP p50 / p99", "max": TARGET_P99_MS}],
                ]
                for name, r in raw["results"].items()
            ],
        }
    ]


def registry_checks(raw: dict[str, Any]) -> list[Table]:
    return [
        {
            "key": f"{raw['registry_records']} records, {raw['recoveries']} recoveries",
            "caption": f"{raw['recoveries']:,} recoveries recorded through the use case (one "
            "`registry.check` message each), then the outbox worker timed until every message "
            f"is done, against an in-memory registry of {raw['registry_records']:,} records. "
            "Baseline: the bare registry searches for the same recoveries.",
            "columns": [
                {"name": ""},
                {"name": "recoveries/s"},
                {"name": "seconds", "digits": 1},
                {"name": "hits stored"},
                {"name": "target"},
            ],
            "rows": [
                [
                    "bare in-memory search (no database)",
                    raw["bare_search_per_second"],
                    None,
                    None,
                    None,
                ],
                [
                    "end to end through the outbox, PostgreSQL",
                    raw["through_outbox_per_second"],
                    raw["through_outbox_seconds"],
                    raw["hits_stored"],
                    [{"what": "rate", "column": "recoveries/s", "min": raw["target_per_second"]}],
                ],
            ],
        }
    ]


def case_networks(raw: dict[str, Any]) -> list[Table]:
    from bench.case_networks import TARGETS

    def pair(name: str) -> list[float]:
        return _ms(raw[name])

    return [
        {
            "key": f"{raw['nodes']} nodes, {raw['links']} links",
            "caption": f"{raw['nodes']:,} recovery nodes and {raw['links']:,} links on "
            f"PostgreSQL, {raw['samples']} random starts and pairs, measured as the use cases "
            "walk (one query per level, visibility applied), next to networkx on the same "
            "graph in the same process.",
            "columns": [
                {"name": ""},
                {"name": "tracedesk p50 / p99", "unit": "ms"},
                {"name": "networkx p50 / p99", "unit": "ms"},
                {"name": "target"},
            ],
            "rows": [
                [
                    f"neighbourhood, depth 3 (~{raw['neighbourhood_nodes_p50']} nodes)",
                    pair("neighbourhood_depth3"),
                    pair("networkx_neighbourhood_depth3"),
                    [
                        {
                            "what": "p99",
                            "column": "tracedesk p50 / p99",
                            "max": TARGETS["neighbourhood_p99_ms"],
                        }
                    ],
                ],
                [
                    f"shortest path, same network ({raw['path']['size_p50']} links p50)",
                    pair("path"),
                    pair("networkx_path"),
                    [
                        {
                            "what": "p99",
                            "column": "tracedesk p50 / p99",
                            "max": TARGETS["path_p99_ms"],
                        }
                    ],
                ],
                ["the agency's 20 largest networks", pair("networks_listing"), None, None],
                [
                    "recording a recovery, with its linking message",
                    pair("record_with_linking_message"),
                    None,
                    None,
                ],
                ["recording a recovery, without", pair("record_without"), None, None],
                ["linking one recovery, in the worker", pair("linking_in_worker"), None, None],
            ],
            "checks": [
                {
                    "label": "the linking message adds at p50",
                    "unit": "ms",
                    "digits": 2,
                    "value": raw["linking_added_p50_ms"],
                    "max": TARGETS["linking_added_p50_ms"],
                },
                {
                    "label": "pairs joined within the path bounds",
                    "value": raw["path"]["found"],
                    "of": raw["samples"],
                },
            ],
        }
    ]


def bulk_import(raw: dict[str, Any]) -> list[Table]:
    from bench.bulk_import import COPY_SHARE_MIN, LINK_RATE_MIN, RATE_MIN, RSS_MAX_MB

    imported, copy, linked = raw["import"], raw["raw_copy"], raw["linking"]
    load = " ".join(f"{x:.2f}" for x in raw["load_average"][:3])
    rows = f"{raw['rows']:,} item rows"
    return [
        {
            "key": f"{raw['rows']} rows",
            "caption": f"{rows} ({imported['recoveries']:,} recoveries) imported from CSV "
            "through the use case (streaming, the domain's rules, reference resolution, "
            f"serial keys, COPY in {imported['batches']:,} batches, one audit event each); "
            "baseline: a raw COPY of the rows the import wrote into the same tables and "
            f"indexes of another database. Load average before: {load}.",
            "columns": [
                {"name": ""},
                {"name": "rows/s"},
                {"name": "seconds", "digits": 1},
                {"name": "peak memory", "unit": "MB", "digits": 0},
                {"name": "target"},
            ],
            "rows": [
                ["raw COPY of the same rows", copy["rows_per_second"], copy["seconds"], None, None],
                [
                    "import",
                    imported["rows_per_second"],
                    imported["seconds"],
                    imported["peak_rss_mb"],
                    [
                        {"what": "rate", "column": "rows/s", "min": RATE_MIN},
                        {"what": "memory", "column": "peak memory", "max": RSS_MAX_MB},
                    ],
                ],
            ],
            "checks": [
                {
                    "label": "import / raw COPY",
                    "value": round(imported["rows_per_second"] / copy["rows_per_second"], 2),
                    "digits": 2,
                    "min": COPY_SHARE_MIN,
                }
            ],
        },
        {
            "key": f"{raw['rows']} rows, linking",
            "caption": f"Then the registry checks (an in-memory registry of {raw['records']:,} "
            "records) and the linking of every imported recovery through the outbox, a batch "
            "per message, while a serial search runs every 50 ms; baseline: linking a sample "
            "of 200 of them one at a time, as a single recorded recovery is.",
            "columns": [
                {"name": ""},
                {"name": "recoveries/s"},
                {"name": "seconds", "digits": 1},
                {"name": "search during it, p50 / p99", **MS},
                {"name": "target"},
            ],
            "rows": [
                ["one at a time", linked["one_at_a_time_per_second"], None, None, None],
                [
                    "batches through the outbox",
                    linked["recoveries_per_second"],
                    linked["seconds"],
                    [linked["search_p50_ms"], linked["search_p99_ms"]],
                    [{"what": "rate", "column": "recoveries/s", "min": LINK_RATE_MIN}],
                ],
            ],
        },
    ]


def console_pages(raw: dict[str, Any]) -> list[Table]:
    from bench.console_pages import MATCHES_P95_MS, SERVER_P95_MS, WEIGHT_KB

    load = " ".join(f"{x:.2f}" for x in raw["load_average"][:3])
    rows: list[list[Any]] = []
    for page, figures in raw["pages"].items():
        api = page.startswith("API: ")
        own, graph = figures["weight_kb"] or [None, None]
        targets = (
            [] if api else [{"what": "server", "column": "server p50 / p95", "max": SERVER_P95_MS}]
        )
        if own is not None and not api:
            targets.append({"what": "weight", "column": "page weight", "max": WEIGHT_KB})
        rows.append(
            [
                page,
                _pair((figures["server"]["p50"], figures["server"]["p95"])),
                _pair((figures["client"]["p50"], figures["client"]["p95"])),
                own,
                graph or None,
                targets or None,
            ]
        )
    matches = raw["matches"]
    rows.append(
        [
            f"serial matches while typing ({matches['count']} prefixes of {matches['serials']} serials)",
            None,
            _pair((matches["p50"], matches["p95"])),
            None,
            None,
            [{"what": "matches", "column": "end to end p50 / p95", "max": MATCHES_P95_MS}],
        ]
    )
    return [
        {
            "key": f"{raw['database']}, {raw['rounds']} rounds",
            "caption": f"Every console page of the demo data set on {raw['database']}, "
            f"{raw['rounds']} interleaved rounds, as `tracedesk serve --demo` serves it; server "
            "time from the server's own access log, end to end from the client; baseline: the "
            "API's JSON for the same data in the same rounds. Page weight: the page's HTML, "
            "CSS and JavaScript, uncompressed, without fonts or the graph library (its size "
            f"beside it). Load average before: {load}.",
            "columns": [
                {"name": ""},
                {"name": "server p50 / p95", **MS},
                {"name": "end to end p50 / p95", **MS},
                {"name": "page weight", "unit": "KB", "digits": 1},
                {"name": "graph library", "unit": "KB", "digits": 0},
                {"name": "target"},
            ],
            "rows": rows,
        }
    ]


def sustained_write(raw: dict[str, Any]) -> list[Table]:
    from bench.sustained_write import RATIO_MIN

    load = " ".join(f"{x:.2f}" for x in raw["load_average"][:3])
    deployments = (
        ("in_process", "deployed, worker in each server process"),
        ("external", "deployed, `tracedesk worker` beside the servers"),
    )
    rows: list[list[Any]] = []
    for n, api in enumerate(raw["api_only"]):
        rows.append(["API only (no worker: the work piles up)", api["per_second"], api["p99_ms"],
                     None, None, None, None])  # fmt: skip
        for worker, label in deployments:
            deployed = raw[worker]["rounds"][n]
            rows.append(
                [
                    label,
                    deployed["write_per_second"],
                    deployed["write_p99_ms"],
                    deployed["drain_seconds"],
                    deployed["sustained_per_second"],
                    [deployed["lag_p50_s"], deployed["lag_p99_s"]],
                    None,
                ]
            )
    return [
        {
            "key": f"{raw['processes']} processes, {raw['seconds']:.0f} s",
            "caption": f"POST /api/v1/recoveries by {raw['connections']} connections for "
            f"{raw['seconds']:.0f} s, `tracedesk serve` with {raw['processes']} processes, "
            "recoveries shaped like an agency's, each posted once; each recovery checked "
            "against the demo registry and linked into the case networks. Sustained: every "
            "recovery written, divided by the time until the last was checked and linked. "
            "Lag: from a recovery's write to the end of its last background work. "
            f"{raw['rounds']} round(s), alternating. {_undone(raw, deployments)}"
            f"Load average before: {load}.",
            "columns": [
                {"name": ""},
                {"name": "writes/s", "digits": 0},
                {"name": "write p99", "unit": "ms", "digits": 0},
                {"name": "drain after the load", "unit": "s", "digits": 1},
                {"name": "sustained", "unit": "recoveries/s", "digits": 1},
                {"name": "lag p50 / p99", "unit": "s", "digits": 1},
                {"name": "target"},
            ],
            "rows": rows,
            "checks": [
                {
                    "label": f"sustained / API only, {label.removeprefix('deployed, ')}",
                    "value": raw[worker]["ratio"],
                    "digits": 2,
                    "min": RATIO_MIN,
                }
                for worker, label in deployments
            ],
        }
    ]


def _undone(raw: dict[str, Any], deployments: tuple[tuple[str, str], ...]) -> str:
    """Whether any background work was left undone or set aside as failed."""
    rounds = [r for worker, _ in deployments for r in raw[worker]["rounds"]]
    if "failed" not in rounds[0]:
        return ""
    undone = sum(r["left_undone"] for r in rounds)
    failed = sum(r["failed"] for r in rounds)
    if not undone and not failed:
        return "No message was left waiting or set aside as failed. "
    return f"**{undone} messages left waiting and {failed} set aside as failed.** "


CONVERTERS: dict[str, Callable[[dict[str, Any]], list[Table]]] = {
    "serial_search": serial_search,
    "http_write": http_write,
    "auth_overhead": auth_overhead,
    "audit_write": audit_write,
    "inbox_listing": inbox_listing,
    "registry_checks": registry_checks,
    "case_networks": case_networks,
    "bulk_import": bulk_import,
    "console_pages": console_pages,
    "sustained_write": sustained_write,
}
