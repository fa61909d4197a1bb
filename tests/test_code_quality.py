"""Lint, format and strict typing are part of the suite, so the one test command checks
everything CI checks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed next to {sys.executable}; install '.[test]'")
    return found


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)  # noqa: S603


def test_ruff_finds_nothing() -> None:
    result = run(tool("ruff"), "check", "service", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_formatted() -> None:
    result = run(tool("ruff"), "format", "--check", "service", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_service_type_checks_strictly() -> None:
    result = run(tool("mypy"), "--strict", "service")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_domain_imports_no_framework_or_driver() -> None:
    forbidden = (
        "fastapi",
        "starlette",
        "sqlmodel",
        "sqlalchemy",
        "httpx",
        "asyncpg",
        "aiosqlite",
        "jose",
        "pydantic",
        "structlog",
        "uvicorn",
    )
    offenders = []
    for path in (ROOT / "service" / "domain").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")):
                module = stripped.split()[1].split(".")[0]
                if module in forbidden:
                    offenders.append(f"{path.relative_to(ROOT)}: {stripped}")
    assert offenders == []


def test_every_domain_event_has_its_handlers() -> None:
    """An event with no reaction would fail at commit: each has a line in its table."""
    import service.domain.events as events
    from service.side_effects import TABLE

    declared = {
        kind
        for kind in vars(events).values()
        if isinstance(kind, type) and issubclass(kind, events.DomainEvent)
    } - {events.DomainEvent}
    assert declared == set(TABLE), declared ^ set(TABLE)


def test_audit_events_are_built_by_handlers_and_audited_reads_only() -> None:
    """Commands record domain events; their audit events are built by the handler
    tables. Only sensitive reads, which change nothing, build theirs, for the read
    recorder."""
    import ast

    service = ROOT / "service"
    for path in service.rglob("*.py"):
        if path.is_relative_to(service / "side_effects") or path.name == "auditing.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        recorded = {
            id(argument)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "record"
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "reads"
            for argument in node.args
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "audit_event"
            ):
                assert id(node) in recorded, f"{path}:{node.lineno} builds an audit event"


def test_modules_stay_small_enough_to_read_in_one_sitting() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "service").rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not too_long, f"split by what changes together: {too_long}"


def _imports(path: Path) -> set[str]:
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# Adapters that put the others together (the app factory, the command line, the
# dependency and connection builders), and the building blocks other adapters share
# (wire and file formats, the peer client, settings, logging, telling an outage from a
# bug).
COMPOSITION_ROOTS = {"bootstrap", "connections", "cli", "api.app"}
BUILDING_BLOCKS = {
    "cursors",
    "exchange",
    "moments",
    "peers",
    "circuit",
    "registry_files",
    "availability",
    "error_boundary",
    "metrics",
    "telemetry",
    "tabular",
    "settings",
    "logging",
    "database_addresses",
    "route_paths",
}


def _adapter(module: str) -> str:
    """The adapter a module belongs to: its package or module under service.adapters."""
    return module.removeprefix("service.adapters.").split(".")[0]


def test_dependencies_point_inward() -> None:
    """The domain imports only the standard library and the domain; the application
    layer never imports adapters; adapters import each other only through the
    composition roots, or the building blocks they share."""
    stdlib = sys.stdlib_module_names
    for path in (ROOT / "service").rglob("*.py"):
        module = _module(path)
        for imported in _imports(path):
            top = imported.split(".")[0]
            if module.startswith("service.domain"):
                assert top in stdlib or imported.startswith("service.domain"), (module, imported)
            elif not module.startswith("service.adapters"):
                assert not imported.startswith("service.adapters"), (module, imported)
            elif imported.startswith("service.adapters."):
                mine, theirs = _adapter(module), _adapter(imported)
                root = mine in COMPOSITION_ROOTS or module.startswith("service.adapters.api.app")
                # The console speaks the API's contract: it validates what people type
                # with the API's own request models, so both say the same about a value.
                contract = mine == "console" and imported.startswith(
                    ("service.adapters.api.schemas", "service.adapters.api.network_export")
                )
                assert mine == theirs or root or contract or theirs in BUILDING_BLOCKS, (
                    module,
                    imported,
                )
