"""Structured logs: JSON in production, readable in development, always with the
request id. tracedesk's own events go straight through structlog (cheap enough for a
line per request); standard-library loggers (uvicorn, alembic) are rendered the same."""

from __future__ import annotations

import logging
import sys

import structlog

from service.adapters.settings import Environment


class _NamedWriteLogger(structlog.WriteLogger):
    """A WriteLogger that knows its name, so `add_logger_name` can record it."""

    def __init__(self, name: str) -> None:
        super().__init__(sys.stdout)
        self.name = name


def _named_logger(*names: str) -> _NamedWriteLogger:
    return _NamedWriteLogger(names[0] if names else "tracedesk")


def configure_logging(environment: Environment, level: str = "INFO") -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if environment is Environment.PRODUCTION
        else structlog.dev.ConsoleRenderer()
    )
    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        logger_factory=_named_logger,
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric_level)
    # tracedesk writes its own access line (without query strings, which may carry
    # serial numbers); uvicorn's would duplicate it.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
