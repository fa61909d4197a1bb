"""tracedesk with its audit trail removed, for bench/audit_write.py only.

The comparison the audit target is measured against: the same application, writes and
all, whose unit of work drops the audit events. Served with:
    uvicorn --factory bench.unaudited_app:create
It exists only here; nothing in tracedesk can switch its audit trail off.
"""

from __future__ import annotations

import dataclasses
from types import TracebackType
from typing import Any, Self

from fastapi import FastAPI

from service.adapters.api.app import create_app
from service.adapters.bootstrap import build_dependencies
from service.adapters.persistence.database import Database
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.adapters.settings import Settings
from service.dependencies import Dependencies
from service.domain.audit import AuditEvent


class _NoAudit:
    def append(self, event: AuditEvent) -> None:
        pass


class WithoutAudit:
    """A unit of work exactly like tracedesk's, except that audit events go nowhere."""

    def __init__(self, inner: SqlUnitOfWork) -> None:
        self._inner = inner
        self.audit = _NoAudit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self._inner.__aexit__(kind, error, trace)

    async def commit(self) -> None:
        await self._inner.commit()


def unaudited(database: Database, settings: Settings) -> Dependencies:
    deps = build_dependencies(database, settings)
    return dataclasses.replace(deps, unit_of_work=lambda: WithoutAudit(SqlUnitOfWork(database)))


def create() -> FastAPI:
    return create_app(Settings(), dependencies=unaudited)
