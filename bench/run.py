"""Every benchmark of the project, one after the other, and one table of what they found:
each headline figure next to its target and the baseline measured in the same run.

    .venv/bin/python -m bench.run            # small scale: about a minute per benchmark
    .venv/bin/python -m bench.run --full     # the scales of bench/README.md (an hour or more)
    .venv/bin/python -m bench.run --only bulk_import registry_checks

Each benchmark runs in a process of its own (as `python -m bench.NAME`) and writes its
results to bench/results/NAME.json; this reads them back. The load average is printed
with the table: on a shared machine a figure means little without it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.support import RESULTS, ROOT

# name -> (small-scale arguments, full-scale arguments)
SCALES: dict[str, tuple[list[str], list[str]]] = {
    "serial_search": (["--items", "20000", "--queries", "100", "--http-seconds", "3"], []),
    "http_write": (["--seconds", "3", "--rounds", "2", "--processes", "2"], ["--processes", "2"]),
    "auth_overhead": (["--requests", "500"], []),
    "audit_write": (["--seconds", "3", "--rounds", "1", "--writes", "300"], []),
    "inbox_listing": (["--requests", "5000", "--queries", "200"], []),
    "registry_checks": (["--records", "50000", "--recoveries", "2000"], []),
    "case_networks": (["--nodes", "20000", "--links", "40000", "--samples", "50"], []),
    "bulk_import": (["--rows", "20000", "--records", "20000"], []),
    "console_pages": (["--rounds", "10"], []),
    "sustained_write": (["--seconds", "10", "--rounds", "1"], []),
}


@dataclass(frozen=True, slots=True)
class Line:
    benchmark: str
    figure: str
    value: float
    unit: str
    target: str
    met: bool
    baseline: float | None = None
    baseline_name: str = ""

    @property
    def ratio(self) -> float | None:
        return None if not self.baseline else self.value / self.baseline


def _serial_search(r: dict[str, Any]) -> list[Line]:
    from bench.serial_search import RATIO_MAX, SEARCH_P99_MS

    exact = r["in_process"]["exact"]
    p99, raw = exact["search"][1], exact["raw"][1]
    return [
        Line("serial_search", "exact search p99", p99, "ms",
             f"<= {SEARCH_P99_MS['exact']} ms, <= {RATIO_MAX}x raw", p99 <= SEARCH_P99_MS["exact"]
             and p99 <= RATIO_MAX * raw, raw, "raw index lookup p99"),
    ]  # fmt: skip


def _http_write(r: dict[str, Any]) -> list[Line]:
    from bench.http_write import (
        OUR_SEARCH,
        OURS,
        RATIO_MIN,
        RAW,
        RAW_SEARCH,
        SEARCH_RATIO_MIN,
    )

    summary, processes = r["summary"], r["processes"]
    return [
        Line("http_write", f"POST /api/v1/recoveries, {processes} processes each",
             summary[OURS]["per_second"], "requests/s", f">= {RATIO_MIN} of raw",
             r["ratio"] >= RATIO_MIN, summary[RAW]["per_second"], "raw asyncpg endpoint"),
        Line("http_write", f"GET /api/v1/search/serials, {processes} processes each",
             summary[OUR_SEARCH]["per_second"], "requests/s", f">= {SEARCH_RATIO_MIN} of raw",
             r["search_ratio"] >= SEARCH_RATIO_MIN, summary[RAW_SEARCH]["per_second"],
             "raw asyncpg search"),
    ]  # fmt: skip


def _auth_overhead(r: dict[str, Any]) -> list[Line]:
    from bench.auth_overhead import ADDED_MAX_MS

    p50 = r["p50_ms"]
    names = sorted(p50)
    bypassed = next(n for n in names if "bypass" in n or "without" in n)
    lines = []
    for name in names:
        if name == bypassed:
            continue
        added = p50[name] - p50[bypassed]
        lines.append(Line("auth_overhead", f"{name} p50", p50[name], "ms",
                          f"adds <= {ADDED_MAX_MS} ms", added <= ADDED_MAX_MS, p50[bypassed],
                          bypassed))  # fmt: skip
    return lines


def _audit_write(r: dict[str, Any]) -> list[Line]:
    from bench.audit_write import RATIO_MIN

    audited, unaudited = r["http"]["audited"]["per_second"], r["http"]["unaudited"]["per_second"]
    return [
        Line("audit_write", "POST /api/v1/recoveries, audited", audited, "requests/s",
             f">= {RATIO_MIN} of unaudited", audited >= RATIO_MIN * unaudited, unaudited,
             "unit of work dropping audit events"),
    ]  # fmt: skip


def _inbox_listing(r: dict[str, Any]) -> list[Line]:
    from bench.inbox_listing import TARGET_P99_MS

    lines = []
    for name, figures in r["results"].items():
        lines.append(Line("inbox_listing", f"{name}, HTTP p99", figures["http_p99"], "ms",
                          f"<= {TARGET_P99_MS} ms", figures["http_p99"] <= TARGET_P99_MS,
                          figures.get("raw_p99"), "raw SQL p99"))  # fmt: skip
    return lines


def _registry_checks(r: dict[str, Any]) -> list[Line]:
    rate = r["through_outbox_per_second"]
    return [
        Line("registry_checks", "recoveries checked through the outbox", rate, "recoveries/s",
             f">= {r['target_per_second']:,.0f}/s", rate >= r["target_per_second"],
             r["bare_search_per_second"], "bare registry searches"),
    ]  # fmt: skip


def _case_networks(r: dict[str, Any]) -> list[Line]:
    from bench.case_networks import TARGETS

    value = r["linking_added_p50_ms"]
    return [
        Line("case_networks", "linking one recovery, p50", value, "ms",
             f"<= {TARGETS['linking_added_p50_ms']} ms", value <= TARGETS["linking_added_p50_ms"]),
    ]  # fmt: skip


def _bulk_import(r: dict[str, Any]) -> list[Line]:
    from bench.bulk_import import COPY_SHARE_MIN, LINK_RATE_MIN, RATE_MIN, RSS_MAX_MB

    imported, raw, linked = r["import"], r["raw_copy"], r["linking"]
    rate, copy_rate = imported["rows_per_second"], raw["rows_per_second"]
    return [
        Line("bulk_import", f"import of {r['rows']:,} rows", rate, "rows/s",
             f">= {RATE_MIN:,}/s and >= {COPY_SHARE_MIN:.0%} of raw COPY",
             rate >= RATE_MIN and rate >= COPY_SHARE_MIN * copy_rate, copy_rate,
             "raw COPY of the same rows"),
        Line("bulk_import", "peak resident memory of the import", imported["peak_rss_mb"], "MB",
             f"< {RSS_MAX_MB} MB", imported["peak_rss_mb"] < RSS_MAX_MB),
        Line("bulk_import", "registry checks and linking, batches", linked["recoveries_per_second"],
             "recoveries/s", f">= {LINK_RATE_MIN:,}/s", linked["recoveries_per_second"] >= LINK_RATE_MIN,
             linked["one_at_a_time_per_second"], "linking one at a time"),
        Line("bulk_import", "serial search p99 during linking", linked["search_p99_ms"], "ms",
             "reported", True, linked["search_p50_ms"], "its p50"),
    ]  # fmt: skip


def _console_pages(r: dict[str, Any]) -> list[Line]:
    from bench.console_pages import MATCHES_P95_MS, SERVER_P95_MS, WEIGHT_KB

    pages = {name: f for name, f in r["pages"].items() if not name.startswith("API: ")}
    slowest = max(pages, key=lambda name: pages[name]["server"]["p95"])
    p95 = pages[slowest]["server"]["p95"]
    heaviest = max(pages, key=lambda name: (pages[name]["weight_kb"] or [0])[0])
    weight = pages[heaviest]["weight_kb"][0]
    matches = r["matches"]["p95"]
    api = r["pages"]["API: recovery"]["server"]["p95"]
    return [
        Line("console_pages", f"slowest page's server time p95 ({slowest})", p95, "ms",
             f"<= {SERVER_P95_MS:.0f} ms", p95 <= SERVER_P95_MS, api, "API recovery p95"),
        Line("console_pages", "serial matches while typing, p95", matches, "ms",
             f"<= {MATCHES_P95_MS:.0f} ms", matches <= MATCHES_P95_MS),
        Line("console_pages", f"heaviest page ({heaviest})", weight, "KB",
             f"<= {WEIGHT_KB:.0f} KB", weight <= WEIGHT_KB),
    ]  # fmt: skip


def _sustained_write(r: dict[str, Any]) -> list[Line]:
    from bench.sustained_write import RATIO_MIN

    api = r["api_only_per_second"]
    lines = []
    for worker, how in (("in_process", "worker in each server process"),
                        ("external", "tracedesk worker beside the servers")):  # fmt: skip
        figures = r[worker]
        rate = figures["sustained_per_second"]
        lines += [
            Line("sustained_write", f"recoveries written, checked and linked ({how})", rate,
                 "recoveries/s", f">= {RATIO_MIN:.0%} of the API-only rate",
                 rate >= RATIO_MIN * api, api, "API only, work left undone"),
            Line("sustained_write", f"lag from write to linked, p99 ({how})",
                 figures["lag_p99_s"], "s", "reported", True, figures["lag_p50_s"], "its p50"),
        ]  # fmt: skip
    return lines


HEADLINES: dict[str, Callable[[dict[str, Any]], list[Line]]] = {
    "serial_search": _serial_search,
    "http_write": _http_write,
    "auth_overhead": _auth_overhead,
    "audit_write": _audit_write,
    "inbox_listing": _inbox_listing,
    "registry_checks": _registry_checks,
    "case_networks": _case_networks,
    "bulk_import": _bulk_import,
    "console_pages": _console_pages,
    "sustained_write": _sustained_write,
}


def run(name: str, full: bool) -> tuple[float, int]:
    small, large = SCALES[name]
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own modules
        [sys.executable, "-m", f"bench.{name}", *(large if full else small)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(RESULTS / f"{name}.stderr").open("w"),
        check=False,
    )
    return time.monotonic() - started, done.returncode


def table(lines: list[Line]) -> str:
    rows = [("benchmark", "figure", "value", "target", "baseline", "ratio", "")]
    for line in lines:
        baseline = "" if line.baseline is None else f"{line.baseline:,.2f} ({line.baseline_name})"
        rows.append(
            (
                line.benchmark,
                line.figure,
                f"{line.value:,.2f} {line.unit}",
                line.target,
                baseline,
                "" if line.ratio is None else f"{line.ratio:.2f}",
                "pass" if line.met else "SHORT",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the scales of bench/README.md")
    parser.add_argument("--only", nargs="+", choices=sorted(SCALES), help="these benchmarks")
    arguments = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    lines: list[Line] = []
    for name in arguments.only or list(SCALES):
        before = os.getloadavg()[0]
        seconds, status = run(name, arguments.full)
        print(f"{name}: {seconds:.0f} s, exit {status}, load {before:.2f} -> {os.getloadavg()[0]:.2f}",
              file=sys.stderr)  # fmt: skip
        if status != 0:
            print(f"  see bench/results/{name}.stderr", file=sys.stderr)
            continue
        lines += HEADLINES[name](json.loads((RESULTS / f"{name}.json").read_text()))
    print(table(lines))
    print(
        f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
