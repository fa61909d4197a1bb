"""Readings beyond ASCII get the keys today's rules give them; padded ones their
unpadded form.

- The capital sharp s (`ẞ`) is `SS`, as the small one always was (`STRAẞE12` is
  `STRASSE12`): readings are case-folded before they are upper-cased.
- A skeleton has no diacritics: a worn or misread mark is a look-alike (`İK4242` and
  `IK4242`, `Й` and `И`).
- Letters ISO 9 writes with a diacritic (`Č` for `Ч`) have the Cyrillic letter's
  spellings (`ČŠČ4412` is `CHSHCH4412`, as `ЧЩ4412` is).

- A reading whose runs of digits are padded with zeros is filed under its unpadded form
  as well (`GLK-00731` under `GLK731`; a separator between digits stays, `G19-00731`
  under `G19-731`), so that readings padded to any width find each other (the query was
  expanded by up to three zeros before).

Only readings with a character outside ASCII letters, digits, wildcards and the common
separators can change otherwise; each of them is filed again, in tracedesk's records and
in registries held here, by the same domain functions that file new readings. A reading
left with nothing legible keeps the normalized form it had (as 0019 did). Other readings
with a zero after a non-digit, or a separator between digits, get their unpadded form
added, nothing else.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.migrations.paging import insert_new, pages
from service.domain.identifiers import Identifier, legible_count, normalize, skeleton
from service.domain.matching import filed_spellings, stored_keys
from service.domain.padding import padding_keys

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_BASIC_POSIX = "^[A-Za-z0-9?* ./_-]*$"
_NOT_BASIC_GLOB = "*[^A-Za-z0-9?* ./_-]*"
_TYPED: dict[str, Any] = {"item_id": sa.Uuid(), "is_partial": sa.Boolean()}


def _table(name: str, *columns: str) -> sa.TableClause:
    """String columns, but ids and flags typed as they are stored."""
    return sa.table(name, *(sa.column(c, _TYPED.get(c, sa.String())) for c in columns))


readings = _table(
    "item_identifiers", "item_id", "role", "raw", "normalized", "skeleton", "is_partial", "reversed"
)
filed_under = {
    "variant": _table("identifier_deletions", "variant", "item_id", "role"),
    "transliterated": _table("identifier_transliterations", "transliterated", "item_id", "role"),
    "anchor": _table("identifier_anchors", "anchor", "item_id", "role"),
}
records = _table("registry_records", "registry_name", "reference", "serial", "normalized")
registry_keys = _table("registry_keys", "key", "registry_name", "reference")


def upgrade() -> None:
    bind = op.get_bind()
    _file_readings_again(bind)
    _file_registry_records_again(bind)
    _file_padded_ascii_readings(bind)


def _beyond_ascii(column: sa.ColumnElement[str], postgres: bool) -> sa.ColumnElement[bool]:
    if postgres:
        return column.regexp_match(_BASIC_POSIX).is_(False)
    return column.op("GLOB")(_NOT_BASIC_GLOB)


def _read_again(raw: str, old_normalized: str) -> Identifier:
    normalized = normalize(raw)
    if legible_count(normalized) == 0:
        normalized = old_normalized
    return Identifier(raw=raw, normalized=normalized, skeleton=skeleton(normalized))


def _file_readings_again(bind: sa.Connection) -> None:
    postgres = bind.dialect.name == "postgresql"
    query = sa.select(readings).where(_beyond_ascii(readings.c.raw, postgres))
    same_reading: dict[str, sa.BindParameter[Any]] = {
        "item_id": sa.bindparam("key_item", type_=sa.Uuid()),
        "role": sa.bindparam("key_role"),
    }
    update = (
        sa.update(readings)
        .where(*(readings.c[name] == value for name, value in same_reading.items()))
        .values(
            normalized=sa.bindparam("new_normalized"),
            skeleton=sa.bindparam("new_skeleton"),
            is_partial=sa.bindparam("new_partial"),
            reversed=sa.bindparam("new_reversed"),
        )
    )
    for page in pages(bind, query, readings.c.item_id, readings.c.role):
        again: list[dict[str, Any]] = []
        keys: dict[str, list[dict[str, Any]]] = {column: [] for column in filed_under}
        for row in page:
            reading = _read_again(row.raw, row.normalized)
            again.append(
                {
                    "key_item": row.item_id,
                    "key_role": row.role,
                    "new_normalized": reading.normalized,
                    "new_skeleton": reading.skeleton,
                    "new_partial": reading.is_partial,
                    "new_reversed": reading.reversed,
                }
            )
            reading_keys = {
                "variant": reading.deletion_variants,
                "transliterated": filed_spellings(reading),
                "anchor": reading.anchors,
            }
            for column, values in reading_keys.items():
                keys[column] += [
                    {column: value, "item_id": row.item_id, "role": row.role}
                    for value in sorted(values)
                ]
        if not again:
            continue
        bind.execute(update, again)
        for column, table in filed_under.items():
            bind.execute(
                sa.delete(table).where(*(table.c[n] == v for n, v in same_reading.items())),
                again,
            )
            insert_new(bind, table, keys[column])


def _file_registry_records_again(bind: sa.Connection) -> None:
    postgres = bind.dialect.name == "postgresql"
    query = sa.select(records).where(_beyond_ascii(records.c.serial, postgres))
    same_record: dict[str, sa.BindParameter[Any]] = {
        "registry_name": sa.bindparam("key_registry"),
        "reference": sa.bindparam("key_reference"),
    }
    update = (
        sa.update(records)
        .where(*(records.c[name] == value for name, value in same_record.items()))
        .values(normalized=sa.bindparam("new_normalized"))
    )
    old_keys = sa.delete(registry_keys).where(
        *(registry_keys.c[name] == value for name, value in same_record.items())
    )
    for page in pages(bind, query, records.c.registry_name, records.c.reference):
        again, keys = [], []
        for row in page:
            reading = _read_again(row.serial, row.normalized)
            again.append(
                {
                    "key_registry": row.registry_name,
                    "key_reference": row.reference,
                    "new_normalized": reading.normalized,
                }
            )
            keys += [
                {"key": key, "registry_name": row.registry_name, "reference": row.reference}
                for key in sorted(stored_keys(reading))
            ]
        if again:
            bind.execute(update, again)
            bind.execute(old_keys, again)
            insert_new(bind, registry_keys, keys)


def _may_be_padded(column: sa.ColumnElement[str], postgres: bool) -> sa.ColumnElement[bool]:
    """ASCII text with a zero that may start a run of digits, or with a separator between
    two digits (kept in the unpadded form): a superset, the domain decides."""
    if postgres:
        return sa.and_(
            column.regexp_match(_BASIC_POSIX),
            column.regexp_match("(^|[^0-9])0[0-9]|[0-9][ ./_-]+[0-9]"),
        )
    return sa.and_(
        column.op("GLOB")(_NOT_BASIC_GLOB).is_(False),
        sa.or_(
            column.op("GLOB")("0[0-9]*"),
            column.op("GLOB")("*[^0-9]0[0-9]*"),
            column.op("GLOB")("*[0-9][ ./_-]*[0-9]*"),
        ),
    )


def _file_padded_ascii_readings(bind: sa.Connection) -> None:
    """ASCII readings keep their keys; a padded one gains its unpadded form."""
    postgres = bind.dialect.name == "postgresql"
    spellings = filed_under["transliterated"]
    query = sa.select(readings).where(
        readings.c.is_partial.is_(False), _may_be_padded(readings.c.raw, postgres)
    )
    for page in pages(bind, query, readings.c.item_id, readings.c.role):
        rows = [
            {"transliterated": key, "item_id": row.item_id, "role": row.role}
            for row in page
            for key in sorted(padding_keys(_read_again(row.raw, row.normalized)))
        ]
        insert_new(bind, spellings, rows)
    partial = sa.or_(records.c.normalized.contains("?"), records.c.normalized.contains("*"))
    query = sa.select(records).where(~partial, _may_be_padded(records.c.serial, postgres))
    for page in pages(bind, query, records.c.registry_name, records.c.reference):
        keys = [
            {"key": f"e:{key}", "registry_name": row.registry_name, "reference": row.reference}
            for row in page
            for key in sorted(padding_keys(_read_again(row.serial, row.normalized)))
        ]
        insert_new(bind, registry_keys, keys)


def downgrade() -> None:
    raise RuntimeError("derived search keys are rebuilt forward, never migrated away")
