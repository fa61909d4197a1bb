"""Benchmark figures live in one place: bench/figures/*.json, recorded from the benchmarks'
results and rendered into bench/README.md. The README is current, nothing else in the
docs types a measured time, and recording turns a benchmark's results into the tables
the README shows, with the targets it names met or missed."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bench import conversions, report

ROOT = Path(__file__).parents[1]
MEASURED = re.compile(r"\d[\d,.]*\s?(ms|µs|requests/s|recoveries/s)\b")


def test_the_figures_in_bench_readme_are_current() -> None:
    written = report.README.read_text(encoding="utf-8")
    assert report.render(written) == written, (
        "bench/README.md is stale: run `python -m bench.report`"
    )


def test_every_figures_file_is_rendered() -> None:
    assert sorted(p.stem for p in report.FIGURES.glob("*.json")) == sorted(report.ORDER)
    assert set(report.CONVERTERS) == set(report.ORDER)


def test_no_page_types_a_measured_figure() -> None:
    hand_written = report.README.read_text(encoding="utf-8").split(report.BEGIN)[0]
    pages = {"bench/README.md": hand_written}
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        pages[page.relative_to(ROOT).as_posix()] = page.read_text(encoding="utf-8")
    typed = {
        (name, found.group(0))
        for name, text in pages.items()
        # The read recorder's batching interval is a design choice, not a measurement.
        for found in MEASURED.finditer(text.replace("every 50 ms", ""))
    }
    assert typed == set()


def _serial_search_run() -> dict[str, Any]:
    def shape(statement: float, search: float, raw: float, example: str) -> dict[str, Any]:
        return {
            "statement": [0.5, statement],
            "search": [0.6, search],
            "raw": [0.1, raw],
            "example": example,
        }

    return {
        "items": 20000,
        "fresh": False,
        "queries": 50,
        "http_seconds": 2.0,
        "in_process": {
            "exact": shape(4.0, 3.5, 3.4, "BXK 482"),
            "pattern, * inside (10*46)": shape(9.0, 12.0, 2.0, "70*46"),
        },
        "http": {
            "exact, normalized, skeleton, edit": {
                "1": {"per_second": 900.4, "p50_ms": 0.941, "p99_ms": 16.2},
                "8": {"per_second": 1600.6, "p50_ms": 4.67, "p99_ms": 10.06},
            }
        },
    }


def test_a_serial_search_run_becomes_its_tables_with_targets_met_or_missed() -> None:
    in_process, http = conversions.serial_search(_serial_search_run())
    assert in_process["key"] == "20000 items" and http["key"] == "20000 items, HTTP"
    rendered = report.render_table(dict(in_process, measured="2026-12-01"))
    assert rendered.splitlines()[4:] == [
        "| exact | 0.50 / 4.00 ms | 0.60 / 3.50 ms | 0.10 / 3.40 ms | B-tree equality | 1.0x "
        "| statement ≤ 5 ms; search ≤ 3 ms **missed (3.50 ms)**; ratio ≤ 5x |",
        "| pattern, * inside (`70*46`) | 0.50 / 9.00 ms | 0.60 / 12.00 ms | 0.10 / 2.00 ms "
        "| reversed-key range | 6.0x | search ≤ 20 ms; ratio ≤ 5x **missed (6.0x)** |",
    ]
    assert report.render_table(dict(http, measured="2026-12-01")).splitlines()[4:] == [
        "| exact, normalized, skeleton, edit | 1 | 900 | 0.94 / 16.20 ms "
        "| p99 ≤ 15 ms **missed (16.20 ms)** |",
        "| exact, normalized, skeleton, edit | 8 | 1,601 | 4.67 / 10.06 ms |  |",
    ]


def test_a_write_run_is_checked_against_its_ratio_and_p99() -> None:
    (table,) = conversions.http_write(
        {
            "processes": 1,
            "connections": 32,
            "rounds": 4,
            "seconds": 10,
            "summary": {
                "raw asyncpg endpoint": {"per_second": 3000.2, "p50_ms": 8, "p99_ms": 20},
                "tracedesk POST /api/v1/recoveries": {
                    "per_second": 1650.7,
                    "p50_ms": 19.04,
                    "p99_ms": 61.26,
                },
            },
            "ratio": 1650.7 / 3000.2,
        }
    )
    assert report.render_table(dict(table, measured="2026-12-01")).splitlines()[-1] == (
        "tracedesk / raw writes: 0.55 (target: at least 0.5). "
        "tracedesk write p99: 61.3 ms (target: at most 60 ms; **missed**)."
    )


def test_a_search_run_is_checked_against_its_own_ratio() -> None:
    summary = {
        name: {"per_second": rate, "p50_ms": 3, "p99_ms": 12}
        for name, rate in (
            ("raw asyncpg endpoint", 3000.0),
            ("tracedesk POST /api/v1/recoveries", 1800.0),
            ("raw asyncpg search", 5000.0),
            ("tracedesk GET /api/v1/search/serials", 2500.0),
        )
    }
    (table,) = conversions.http_write(
        {
            "processes": 2,
            "connections": 32,
            "rounds": 2,
            "seconds": 10,
            "summary": summary,
            "ratio": 0.6,
            "search_ratio": 0.5,
        }  # fmt: skip
    )
    assert (
        report.render_table(dict(table, measured="2026-12-01"))
        .splitlines()[-1]
        .endswith("tracedesk / raw searches: 0.50 (target: at least 0.6; **missed**).")
    )


def test_recording_replaces_the_table_of_the_same_scale_and_keeps_the_others() -> None:
    figures = report.load("serial_search")
    before = [t["key"] for t in figures["tables"]]
    tables = conversions.serial_search(_serial_search_run())
    recorded = report.record(figures, tables, measured=date(2026, 12, 1))
    assert [t["key"] for t in recorded["tables"]] == [*before, "20000 items", "20000 items, HTTP"]
    again = report.record(recorded, tables, measured=date(2026, 12, 2), key="quiet machine")
    assert [t["key"] for t in again["tables"]][-2:] == [
        "quiet machine: 20000 items",
        "quiet machine: 20000 items, HTTP",
    ]
    replaced = report.record(recorded, tables[:1], measured=date(2026, 12, 3))
    assert [t["measured"] for t in replaced["tables"] if t["key"] == "20000 items"] == [
        "2026-12-03"
    ]
    assert len(replaced["tables"]) == len(recorded["tables"])
    assert replaced["notes"] == figures["notes"]


@pytest.mark.parametrize("name", report.ORDER)
def test_the_recorded_figures_render_under_every_benchmark(name: str) -> None:
    figures = report.load(name)
    assert figures["benchmark"] == name and figures["tables"]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", t["measured"]) for t in figures["tables"])
    rendered = report.render_benchmark(figures)
    assert rendered.startswith(f"### {figures['title']}\n")
    assert json.loads(json.dumps(figures)) == figures  # plain JSON, nothing else


def test_a_sustained_run_is_checked_for_each_way_of_running_the_worker() -> None:
    deployed = {
        "write_per_second": 400.0, "write_p99_ms": 250.0, "drain_seconds": 2.0,
        "sustained_per_second": 380.0, "lag_p50_s": 2.5, "lag_p99_s": 3.7,
    }  # fmt: skip
    (table,) = conversions.sustained_write(
        {
            "seconds": 60,
            "rounds": 1,
            "processes": 2,
            "connections": 32,
            "load_average": [1.0, 1.0, 1.0],
            "api_only": [{"per_second": 800.0, "p99_ms": 90.0}],
            "in_process": {"rounds": [deployed], "ratio": 0.48},
            "external": {"rounds": [deployed], "ratio": 0.82},
        }  # fmt: skip
    )
    assert len(table["rows"]) == 3
    assert report.render_table(dict(table, measured="2026-12-01")).splitlines()[-1] == (
        "sustained / API only, worker in each server process: 0.48 (target: at least 0.8; "
        "**missed**). sustained / API only, `tracedesk worker` beside the servers: 0.82 "
        "(target: at least 0.8)."
    )
