"""tracedesk with its audit trail removed, for bench/audit_write.py only.

The comparison the audit target is measured against: the same application, writes and
all, whose side effects leave out the audit events. Served with:
    uvicorn --factory bench.unaudited_app:create
It exists only here; nothing in tracedesk can switch its audit trail off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from service.adapters.api.app import create_app
from service.adapters.bootstrap import build_dependencies
from service.adapters.persistence.database import Database
from service.adapters.settings import Settings
from service.dependencies import Dependencies
from service.domain.audit import AuditEvent
from service.domain.events import DomainEvent
from service.domain.ports.unit_of_work import UnitOfWork
from service.side_effects import write_side_effects


class _NoAudit:
    def append(self, event: AuditEvent) -> None:
        pass


class _WithoutAudit:
    """A command's unit of work as its handlers see it, except that audit events go
    nowhere."""

    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner
        self.audit = _NoAudit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def without_audit(deps: Dependencies, uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
    """tracedesk's side effects, but for the audit events."""
    await write_side_effects(deps, _WithoutAudit(uow), events)  # type: ignore[arg-type]


def unaudited(database: Database, settings: Settings) -> Dependencies:
    return dataclasses.replace(build_dependencies(database, settings), side_effects=without_audit)


def create() -> FastAPI:
    return create_app(Settings(), dependencies=unaudited)
