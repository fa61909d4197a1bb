"""Import jobs, their reports and the bulk landing of imported recoveries, in SQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Row, Stage
from service.adapters.persistence.recovery_rows import new_recovery_operations
from service.adapters.persistence.sql import Query, Statement, one_of
from service.adapters.persistence.types import UtcDateTime
from service.adapters.persistence.writes import (
    CopyRows,
    DeleteRows,
    InsertRows,
    RowOperation,
    UpdateRow,
)
from service.domain.errors import StaleVersion
from service.domain.imports import ImportCounts, ImportFormat, ImportJob, ImportSource, ImportState
from service.domain.ports.imports import ImportedKey, RejectedRow
from service.domain.recovery import Recovery

_J, _R, _K = tables.import_jobs, tables.import_rejects, tables.imported_keys

_JOB = Query(lambda _: sa.select(_J).where(_J.c.id == sa.bindparam("id", type_=sa.Uuid())))
_OF_AGENCY = Query(
    lambda _: (
        sa.select(_J)
        .where(_J.c.agency_id == sa.bindparam("agency_id", type_=sa.Uuid()))
        .order_by(_J.c.created_at.desc(), _J.c.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )
)
_UNCLAIMED = Query(
    lambda _: (
        sa.select(_J)
        .where(
            sa.or_(
                _J.c.state == sa.literal(ImportState.QUEUED.value),
                _J.c.state == sa.literal(ImportState.RUNNING.value),
            ),
            sa.or_(
                _J.c.claimed_until.is_(None),
                _J.c.claimed_until < sa.bindparam("now", type_=UtcDateTime()),
            ),
        )
        .order_by(_J.c.created_at, _J.c.id)
        .limit(20)
    )
)
_REJECTS = Query(
    lambda _: (
        sa.select(_R)
        .where(
            _R.c.import_id == sa.bindparam("id", type_=sa.Uuid()),
            _R.c.position > sa.bindparam("after", type_=sa.Integer()),
        )
        .order_by(_R.c.position)
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )
)


def _known(dialect: str) -> Statement:
    return sa.select(_K.c.key, _K.c.recovery_id, _K.c.import_id).where(
        _K.c.agency_id == sa.bindparam("agency_id", type_=sa.Uuid()),
        one_of(_K.c.key, "keys", dialect),
    )


_KNOWN = Query(_known)


def _held(dialect: str) -> Statement:
    recoveries, items = tables.recoveries, tables.recovery_items
    return (
        sa.select(recoveries.c.id.label("recovery_id"), items.c.id.label("item_id"))
        .select_from(recoveries.outerjoin(items, items.c.recovery_id == recoveries.c.id))
        .where(
            recoveries.c.agency_id == sa.bindparam("agency_id", type_=sa.Uuid()),
            one_of(recoveries.c.id, "ids", dialect),
        )
    )


_HELD = Query(_held)
_IMPORT_OF = Query(
    lambda _: (
        sa.select(_K.c.import_id, _K.c.batch)
        .where(_K.c.recovery_id == sa.bindparam("id", type_=sa.Uuid()))
        .limit(1)
    )
)


class SqlImportJobs:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    def add(self, job: ImportJob) -> None:
        self._stage.saw(job)
        self._stage([InsertRows(_J, [_job_values(job)])])

    def save(self, job: ImportJob) -> None:
        loaded = job.version
        job.version += 1
        values = _job_values(job)
        for fixed in ("id", "agency_id", "created_by", "created_by_kind", "created_at"):
            del values[fixed]
        self._stage.saw(job)
        self._stage(
            [
                UpdateRow(
                    _J,
                    key={"id": job.id},
                    values=values,
                    expected={"version": loaded},
                    when_missing=lambda: StaleVersion("import", loaded, None),
                )
            ]
        )

    async def get(self, job_id: UUID, *, of_agency: UUID | None = None) -> ImportJob | None:
        rows = await (await self._connect()).fetch(_JOB, id=job_id)
        if not rows or of_agency not in (None, rows[0]["agency_id"]):
            return None
        return _job(rows[0])

    async def of_agency(self, agency_id: UUID, *, limit: int) -> list[ImportJob]:
        rows = await (await self._connect()).fetch(_OF_AGENCY, agency_id=agency_id, limit=limit)
        return [_job(row) for row in rows]

    async def unclaimed(self, *, now: datetime) -> list[ImportJob]:
        rows = await (await self._connect()).fetch(_UNCLAIMED, now=now)
        return [_job(row) for row in rows]

    def reject(self, job_id: UUID, rows: Sequence[RejectedRow]) -> None:
        self._stage(
            [
                CopyRows(
                    _R,
                    [
                        {
                            "import_id": job_id,
                            "position": row.position,
                            "line": row.line,
                            "column": row.column[:200],
                            "reason": row.reason[:2000],
                        }
                        for row in rows
                    ],
                )
            ]
        )

    def forget_rejects(self, job_id: UUID) -> None:
        self._stage([DeleteRows(_R, {"import_id": job_id})])

    async def rejects(self, job_id: UUID, *, after: int, limit: int) -> list[RejectedRow]:
        rows = await (await self._connect()).fetch(_REJECTS, id=job_id, after=after, limit=limit)
        return [RejectedRow(r["position"], r["line"], r["column"], r["reason"]) for r in rows]


def _job_values(job: ImportJob) -> dict[str, Any]:
    counts = job.counts
    return {
        "id": job.id,
        "agency_id": job.agency_id,
        "created_by": job.created_by,
        "created_by_kind": job.created_by_kind,
        "created_at": job.created_at,
        "source_name": job.source.name,
        "source_format": job.source.format.value,
        "source_size": job.source.size,
        "source_sha256": job.source.sha256,
        "all_or_nothing": job.all_or_nothing,
        "mapping": job.mapping,
        "state": job.state.value,
        "rows_read": counts.rows_read,
        "rows_imported": counts.rows_imported,
        "rows_already_imported": counts.rows_already_imported,
        "rows_rejected": counts.rows_rejected,
        "recoveries_imported": counts.recoveries_imported,
        "batches": counts.batches,
        "bytes_read": job.bytes_read,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "failure": job.failure,
        "claimed_until": job.claimed_until,
        "version": job.version,
    }


def _job(row: Row) -> ImportJob:
    return ImportJob(
        id=row["id"],
        agency_id=row["agency_id"],
        created_by=row["created_by"],
        created_by_kind=row["created_by_kind"],
        created_at=row["created_at"],
        source=ImportSource(
            name=row["source_name"],
            format=ImportFormat(row["source_format"]),
            size=row["source_size"],
            sha256=row["source_sha256"],
        ),
        all_or_nothing=row["all_or_nothing"],
        mapping=row["mapping"],
        state=ImportState(row["state"]),
        counts=ImportCounts(
            rows_read=row["rows_read"],
            rows_imported=row["rows_imported"],
            rows_already_imported=row["rows_already_imported"],
            rows_rejected=row["rows_rejected"],
            recoveries_imported=row["recoveries_imported"],
            batches=row["batches"],
        ),
        bytes_read=row["bytes_read"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        failure=row["failure"],
        claimed_until=row["claimed_until"],
        version=row["version"],
    )


class SqlBulkRecoveries:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    async def known(self, agency_id: UUID, keys: Sequence[str]) -> dict[str, tuple[UUID, UUID]]:
        if not keys:
            return {}
        rows = await (await self._connect()).fetch(_KNOWN, agency_id=agency_id, keys=list(keys))
        return {row["key"]: (row["recovery_id"], row["import_id"]) for row in rows}

    async def held(
        self, agency_id: UUID, recovery_ids: Sequence[UUID]
    ) -> dict[UUID, frozenset[UUID]]:
        if not recovery_ids:
            return {}
        rows = await (await self._connect()).fetch(
            _HELD, agency_id=agency_id, ids=list(recovery_ids)
        )
        items: dict[UUID, set[UUID]] = defaultdict(set)
        for row in rows:
            found = items[row["recovery_id"]]
            if row["item_id"] is not None:
                found.add(row["item_id"])
        return {recovery_id: frozenset(ids) for recovery_id, ids in items.items()}

    def land(
        self,
        *,
        agency_id: UUID,
        import_id: UUID,
        batch: int,
        recoveries: Sequence[Recovery],
        keys: Sequence[ImportedKey],
    ) -> None:
        by_table: dict[str, list[Any]] = defaultdict(list)
        table_of: dict[str, sa.Table] = {}
        for recovery in recoveries:
            for operation in new_recovery_operations(recovery):
                if isinstance(operation, InsertRows) and operation.rows:
                    by_table[operation.table.name].extend(operation.rows)
                    table_of[operation.table.name] = operation.table
        operations: list[RowOperation] = [
            CopyRows(table_of[name], rows) for name, rows in by_table.items()
        ]
        operations.append(
            CopyRows(
                _K,
                [
                    {
                        "agency_id": agency_id,
                        "key": entry.key,
                        "recovery_id": entry.recovery_id,
                        "import_id": import_id,
                        "batch": batch,
                    }
                    for entry in keys
                ],
            )
        )
        self._stage(operations)

    async def import_of(self, recovery_id: UUID) -> tuple[UUID, int] | None:
        rows = await (await self._connect()).fetch(_IMPORT_OF, id=recovery_id)
        return (rows[0]["import_id"], rows[0]["batch"]) if rows else None
