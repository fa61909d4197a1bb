"""A registry kept in tracedesk's own database: written by imports, searched by key."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Database, Row, Stage
from service.adapters.persistence.sql import Query, QueryShapes, Statement, like, one_of
from service.adapters.persistence.writes import DeleteRows, InsertRows, RowOperation, UpdateRow
from service.domain.identifiers import Identifier, known_start, skeleton
from service.domain.matching import SerialQuery, as_like, fitted_misreads
from service.domain.reference import ReferenceCatalogue, Resolution
from service.domain.registry import (
    RegistryMatch,
    RegistryRecord,
    RegistryStatus,
    registry_matches,
)

_R, _K = tables.registry_records, tables.registry_keys


def _fingerprints(dialect: str) -> Statement:
    return sa.select(_R.c.reference, _R.c.fingerprint).where(
        _R.c.registry_name == sa.bindparam("registry"),
        one_of(_R.c.reference, "references", dialect),
    )


_FINGERPRINTS = Query(_fingerprints)


class SqlRegistryRecords:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    async def fingerprints(self, registry: str, references: Sequence[str]) -> dict[str, str]:
        if not references:
            return {}
        connection = await self._connect()
        rows = await connection.fetch(_FINGERPRINTS, registry=registry, references=list(references))
        return {row["reference"]: row["fingerprint"] for row in rows}

    def add(self, record: RegistryRecord) -> None:
        self._stage(_record_operations(record))

    def replace(self, record: RegistryRecord) -> None:
        values = _record_values(record)
        key = {"registry_name": record.registry, "reference": record.reference}
        self._stage(
            [
                UpdateRow(
                    _R,
                    key=key,
                    values={k: v for k, v in values.items() if k not in key},
                ),
                DeleteRows(_K, key),
                InsertRows(_K, _key_values(record)),
            ]
        )


def _record_operations(record: RegistryRecord) -> list[RowOperation]:
    return [InsertRows(_R, [_record_values(record)]), InsertRows(_K, _key_values(record))]


def _record_values(record: RegistryRecord) -> dict[str, Any]:
    return {
        "registry_name": record.registry,
        "reference": record.reference,
        "status": record.status.value,
        "serial": record.identifier.raw,
        "normalized": record.identifier.normalized,
        "make_raw": record.make.raw if record.make else None,
        "make_canonical": record.make.canonical if record.make else None,
        "model": record.model,
        "calibre_raw": record.calibre.raw if record.calibre else None,
        "calibre_canonical": record.calibre.canonical if record.calibre else None,
        "country": record.country,
        "recorded_on": record.recorded_on,
        "details": dict(record.details),
        "fingerprint": record.fingerprint(),
    }


def _key_values(record: RegistryRecord) -> list[dict[str, Any]]:
    return [
        {"key": key, "registry_name": record.registry, "reference": record.reference}
        for key in sorted(record.keys)
    ]


def _by_keys(dialect: str) -> Statement:
    keyed = (
        sa.select(_K.c.reference)
        .where(_K.c.registry_name == sa.bindparam("registry"), one_of(_K.c.key, "keys", dialect))
        .distinct()
        .subquery("k")
    )
    return sa.select(_R).join(
        keyed,
        sa.and_(
            _R.c.registry_name == sa.bindparam("registry"), _R.c.reference == keyed.c.reference
        ),
    )


def _by_pattern(dialect: str, with_prefix: bool) -> Statement:
    conditions = [
        _R.c.registry_name == sa.bindparam("registry"),
        like(_R.c.normalized, "pattern", dialect),
    ]
    if with_prefix:
        # A range on the index when the pattern starts with known characters.
        conditions += [
            _R.c.normalized >= sa.bindparam("prefix"),
            _R.c.normalized < sa.bindparam("prefix_end"),
        ]
    return sa.select(_R).where(*conditions).limit(sa.bindparam("cap", type_=sa.Integer()))


def _by_each_key(dialect: str) -> Statement:
    """Every record filed under any of the keys, with the key it was found by."""
    return (
        sa.select(_K.c.key, _R)
        .join(
            _R,
            sa.and_(_R.c.registry_name == _K.c.registry_name, _R.c.reference == _K.c.reference),
        )
        .where(_K.c.registry_name == sa.bindparam("registry"), one_of(_K.c.key, "keys", dialect))
    )


_BY_KEYS = Query(_by_keys)
_BY_EACH_KEY = Query(_by_each_key)
_BY_PATTERN = QueryShapes(_by_pattern)
PATTERN_CAP = 5000


class SqlRegistry:
    """The FirearmRegistry port over a registry imported into this database."""

    def __init__(self, name: str, database: Database, catalogue: ReferenceCatalogue) -> None:
        self._name = name
        self._database = database
        self._catalogue = catalogue

    @property
    def name(self) -> str:
        return self._name

    async def search(self, query: SerialQuery) -> list[RegistryMatch]:
        async with self._database.connection() as connection:
            rows: list[Row] = list(
                await connection.fetch(
                    _BY_KEYS, registry=self._name, keys=sorted(query.lookup_keys)
                )
            )
            # The pattern as read, and read as digits where its look-alike letters may be.
            for pattern in query.fitting_patterns:
                prefix = known_start(pattern)
                parameters: dict[str, Any] = {
                    "registry": self._name,
                    "pattern": as_like(pattern),
                    "cap": PATTERN_CAP,
                }
                if prefix:
                    parameters |= {"prefix": prefix, "prefix_end": prefix + "\U0010ffff"}
                rows += await connection.fetch(_BY_PATTERN[bool(prefix)], **parameters)
        records = [self._record(row) for row in rows]
        if query.identifier.is_partial:
            records = [
                r
                for r in records
                if r.identifier.is_partial
                or fitted_misreads(query.identifier, r.identifier) is not None
            ]
        return registry_matches(query, records, self._catalogue)

    async def search_many(self, queries: Sequence[SerialQuery]) -> list[list[RegistryMatch]]:
        """One read for the keys of every query; patterns, which need a scan each, one by
        one as `search` does."""
        keys = sorted(
            {key for q in queries if not q.identifier.is_partial for key in q.lookup_keys}
        )
        filed: dict[str, list[RegistryRecord]] = defaultdict(list)
        if keys:
            async with self._database.connection() as connection:
                for row in await connection.fetch(_BY_EACH_KEY, registry=self._name, keys=keys):
                    filed[row["key"]].append(self._record(row))
        found = []
        for query in queries:
            if query.identifier.is_partial:
                found.append(await self.search(query))
                continue
            records = {
                record.reference: record for key in query.lookup_keys for record in filed[key]
            }
            found.append(registry_matches(query, list(records.values()), self._catalogue))
        return found

    def _record(self, row: Row) -> RegistryRecord:
        normalized = row["normalized"]
        return RegistryRecord(
            registry=row["registry_name"],
            reference=row["reference"],
            status=RegistryStatus(row["status"]),
            identifier=Identifier(
                raw=row["serial"], normalized=normalized, skeleton=skeleton(normalized)
            ),
            make=Resolution(row["make_raw"], row["make_canonical"]) if row["make_raw"] else None,
            model=row["model"],
            calibre=Resolution(row["calibre_raw"], row["calibre_canonical"])
            if row["calibre_raw"]
            else None,
            country=row["country"],
            recorded_on=row["recorded_on"],
            details=_details(row["details"]),
        )


def _details(value: Any) -> dict[str, str]:
    document = json.loads(value) if isinstance(value, str) else value
    return dict(document or {})
