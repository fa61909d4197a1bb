"""Structured logs: JSON in production, readable in development, always with the
request id. tracedesk's own events go straight through structlog (a line per request,
so in production they are rendered by orjson and written as bytes, structlog's fast
path); standard-library loggers (uvicorn, alembic) are rendered the same."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TextIO

import orjson
import structlog

from service.adapters.availability import unavailability
from service.adapters.settings import Environment


class _NamedWriteLogger(structlog.WriteLogger):
    """A WriteLogger that knows its name, so `add_logger_name` can record it."""

    def __init__(self, stream: TextIO, name: str) -> None:
        super().__init__(stream)
        self.name = name


def _loggers(stream: TextIO, *, as_bytes: bool) -> Callable[..., Any]:
    """structlog's logger factory: loggers named as asked, writing to `stream` (or,
    for rendered bytes, to its binary layer)."""

    def named(*names: str) -> Any:
        name = names[0] if names else "tracedesk"
        if as_bytes:
            return structlog.BytesLogger(stream.buffer, name=name)
        return _NamedWriteLogger(stream, name)

    return named


def _orjson_text(event: Any, **options: Any) -> str:
    return orjson.dumps(event, **options).decode()


class _OutagesWithoutTracebacks(logging.Filter):
    """A library's line about a database that went away (asyncpg's pool retrying its
    connections, every few seconds of an outage) keeps its line and loses its traceback:
    the outage is news, its stack is not."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and unavailability(error) is not None:
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args = None
            record.exc_info = record.exc_text = None
        return True


def _outage_without_traceback(
    logger: Any, method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    """tracedesk's own lines likewise: wherever an outage is logged as an exception (a
    background loop retrying), the line says what failed, without the stack."""
    exc_info = event.get("exc_info")
    if not exc_info:
        return event
    if isinstance(exc_info, BaseException):
        error: BaseException | None = exc_info
    elif isinstance(exc_info, tuple):
        error = exc_info[1]
    else:
        error = sys.exc_info()[1]
    if error is not None and unavailability(error) is not None:
        del event["exc_info"]
        event["outage"] = f"{type(error).__name__}: {error}"
    return event


def configure_logging(
    environment: Environment, level: str = "INFO", *, stream: TextIO | None = None
) -> None:
    """Logs to `stream`, standard output unless given, at `level` and above."""
    stream = stream or sys.stdout
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    production = environment is Environment.PRODUCTION
    own_renderer: structlog.types.Processor
    foreign_renderer: structlog.types.Processor
    if production:
        # Keys that are not strings (in a nested value) are written as strings, not refused.
        json_options = {"option": orjson.OPT_NON_STR_KEYS}
        own_renderer = structlog.processors.JSONRenderer(orjson.dumps, **json_options)
        # The standard library's handler writes text.
        foreign_renderer = structlog.processors.JSONRenderer(_orjson_text, **json_options)
    else:
        own_renderer = foreign_renderer = structlog.dev.ConsoleRenderer()
    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[
            *shared,
            _outage_without_traceback,
            structlog.processors.format_exc_info,
            own_renderer,
        ],
        logger_factory=_loggers(stream, as_bytes=production),
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                foreign_renderer,
            ],
        )
    )
    handler.addFilter(_OutagesWithoutTracebacks())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric_level)
    # tracedesk writes its own access line (without query strings, which may carry
    # serial numbers); uvicorn's would duplicate it.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
