"""Log lines as operators read them: one JSON object per line in production, readable
text in development, with the request id, from tracedesk's own loggers and from the
standard library's alike."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import pytest
import structlog

from service.adapters.logging import configure_logging
from service.adapters.settings import Environment

Lines = Callable[[], list[str]]


@pytest.fixture
def logging_into() -> Iterator[Callable[[Environment, str], Lines]]:
    """Starts logging for an environment at a level into a stream of our own; gives back
    what was written, line by line. Restores the logging it found afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def start(environment: Environment, level: str) -> Lines:
        written = io.BytesIO()
        stream = io.TextIOWrapper(written, encoding="utf-8", write_through=True)
        configure_logging(environment, level, stream=stream)
        return lambda: written.getvalue().decode().splitlines()

    yield start
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()
    root.handlers, root.level = handlers, level


def as_json(lines: Lines) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines()]


def test_production_lines_are_json_with_the_request_id(
    logging_into: Callable[[Environment, str], Lines],
) -> None:
    written = logging_into(Environment.PRODUCTION, "INFO")
    structlog.contextvars.bind_contextvars(request_id="req-1")
    structlog.get_logger("tracedesk.access").info(
        "request", status=201, path="/api/v1/recoveries", counts={1: "one"}
    )
    logging.getLogger("uvicorn.error").warning("Started server process")

    own, foreign = as_json(written)
    assert own["event"] == "request" and own["logger"] == "tracedesk.access"
    assert own["level"] == "info" and own["request_id"] == "req-1"
    assert own["status"] == 201 and own["counts"] == {"1": "one"}
    assert own["timestamp"].endswith("Z")
    assert foreign["event"] == "Started server process" and foreign["request_id"] == "req-1"
    assert foreign["logger"] == "uvicorn.error" and foreign["level"] == "warning"


def test_values_json_cannot_carry_are_written_as_text(
    logging_into: Callable[[Environment, str], Lines],
) -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "<opaque>"

    written = logging_into(Environment.PRODUCTION, "INFO")
    structlog.get_logger("tracedesk").info("odd value", value=Opaque())
    (line,) = as_json(written)
    assert line["value"] == "<opaque>"


def test_below_the_level_nothing_is_written(
    logging_into: Callable[[Environment, str], Lines],
) -> None:
    written = logging_into(Environment.PRODUCTION, "WARNING")
    structlog.get_logger("tracedesk.access").info("request")
    logging.getLogger("uvicorn.error").info("Started server process")
    assert written() == []


def test_development_lines_are_readable_text_with_the_request_id(
    logging_into: Callable[[Environment, str], Lines],
) -> None:
    written = logging_into(Environment.DEVELOPMENT, "INFO")
    structlog.contextvars.bind_contextvars(request_id="req-2")
    structlog.get_logger("tracedesk.access").info("request", status=201)
    logging.getLogger("uvicorn.error").warning("Started server process")

    own, foreign = written()
    assert "request" in own and "req-2" in own and "201" in own
    assert "Started server process" in foreign
    assert not own.startswith("{")


def test_an_outage_is_a_line_without_a_traceback_and_a_bug_keeps_its_own(
    logging_into: Callable[[Environment, str], Lines],
) -> None:
    written = logging_into(Environment.PRODUCTION, "INFO")
    own = structlog.get_logger("tracedesk.outbox")
    library = logging.getLogger("asyncpg.pool")
    try:
        raise asyncpg.exceptions.AdminShutdownError("terminating connection")
    except asyncpg.PostgresError:
        own.exception("outbox batch failed")
        library.warning("Failed to restore the pool connection floor", exc_info=True)
    try:
        raise ValueError("a bug")
    except ValueError:
        own.exception("outbox batch failed")

    outage, library_outage, bug = as_json(written)
    assert "exception" not in outage
    assert outage["outage"] == "AdminShutdownError: terminating connection"
    assert "exception" not in library_outage
    assert library_outage["event"].endswith("(AdminShutdownError: terminating connection)")
    assert "Traceback" in bug["exception"] and "ValueError: a bug" in bug["exception"]
