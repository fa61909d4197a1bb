"""Partial readings filed under every legible stretch; punctuation is a separator.

- `identifier_anchors` replaces `item_identifiers.anchor`: a partial reading is filed
  under every stretch of four characters of its legible runs (a run of three, whole) or,
  without a run of three, under its known start and end. One anchor (the end of the
  longest run) was broken by the unknown character of another worn reading of the same
  serial, so `58A12?456` and `58A1?3456` never found each other.
- Readings are normalized without punctuation and symbols (`12,345`, `#58812`,
  `4521·B`), and with the wildcards other keyboards type (`؟`, `٭`): readings that have
  them get their keys again, in tracedesk's records and in registries held here.

Every key is computed by the same domain functions that compute them for new readings.
A reading left with no legible character once punctuation is gone keeps the keys it had.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.migrations.paging import insert_new, pages
from service.adapters.persistence.types import key_text
from service.domain.identifiers import Identifier, legible_count, normalize, skeleton
from service.domain.matching import stored_keys

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# Characters readings could hold whose keys stay as they were: what the earlier rules and
# these agree on. Any other character may be punctuation, a symbol or a wildcard's
# look-alike now; such readings, and partial ones (for their anchors), are read again.
_UNCHANGED_POSIX = "^[A-Za-z0-9?* ./_-]*$"
_UNCHANGED_GLOB = "*[^A-Za-z0-9?* ./_-]*"


def _columns(*names: str) -> list[sa.ColumnClause[Any]]:
    """String columns, but ids and flags typed as they are stored."""
    types: dict[str, Any] = {"item_id": sa.Uuid(), "is_partial": sa.Boolean()}
    return [sa.column(name, types.get(name, sa.String())) for name in names]


readings = sa.table(
    "item_identifiers",
    *_columns("item_id", "role", "raw", "normalized", "skeleton", "is_partial", "reversed"),
)
deletions = sa.table("identifier_deletions", *_columns("variant", "item_id", "role"))
transliterations = sa.table(
    "identifier_transliterations", *_columns("transliterated", "item_id", "role")
)
records = sa.table(
    "registry_records", *_columns("registry_name", "reference", "serial", "normalized")
)
registry_keys = sa.table("registry_keys", *_columns("key", "registry_name", "reference"))


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    anchors = op.create_table(
        "identifier_anchors",
        sa.Column("anchor", key_text(256), primary_key=True),
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("role", sa.String(8), primary_key=True),
        sa.ForeignKeyConstraint(
            ["item_id", "role"],
            ["item_identifiers.item_id", "item_identifiers.role"],
            ondelete="CASCADE",
        ),
    )
    op.drop_index("ix_item_identifiers_anchor", table_name="item_identifiers")
    with op.batch_alter_table("item_identifiers") as batch:
        batch.drop_column("anchor")
    _rekey_readings(bind, anchors)
    _rekey_registry_records(bind)
    if (
        postgres
        and bind.execute(sa.text("SELECT EXISTS (SELECT 1 FROM identifier_anchors)")).scalar()
    ):
        # As 0013 did for its tables: statistics where there are rows to describe.
        op.execute("ANALYZE identifier_anchors")


def _may_change(column: sa.ColumnElement[str], postgres: bool) -> sa.ColumnElement[bool]:
    if postgres:
        return column.regexp_match(_UNCHANGED_POSIX).is_(False)
    return column.op("GLOB")(_UNCHANGED_GLOB)


def _read_again(raw: str, old_normalized: str) -> Identifier:
    normalized = normalize(raw)
    if legible_count(normalized) == 0:
        # Nothing legible once punctuation is gone (`#`, `#?`): a reading today's rules
        # would refuse keeps the keys it was recorded with.
        normalized = old_normalized
    return Identifier(raw=raw, normalized=normalized, skeleton=skeleton(normalized))


def _rekey_readings(bind: sa.Connection, anchors: sa.Table) -> None:
    postgres = bind.dialect.name == "postgresql"
    query = sa.select(readings).where(
        sa.or_(readings.c.is_partial, _may_change(readings.c.raw, postgres))
    )
    update = (
        sa.update(readings)
        .where(
            readings.c.item_id == sa.bindparam("key_item"),
            readings.c.role == sa.bindparam("key_role"),
        )
        .values(
            normalized=sa.bindparam("new_normalized"),
            skeleton=sa.bindparam("new_skeleton"),
            is_partial=sa.bindparam("new_partial"),
            reversed=sa.bindparam("new_reversed"),
        )
    )
    for page in pages(bind, query, readings.c.item_id, readings.c.role):
        changed: list[dict[str, Any]] = []
        filed: dict[sa.TableClause, list[dict[str, Any]]] = {
            deletions: [],
            transliterations: [],
            anchors: [],
        }
        for row in page:
            reading = _read_again(row.raw, row.normalized)
            key = {"item_id": row.item_id, "role": row.role}
            filed[anchors] += [{"anchor": a, **key} for a in sorted(reading.anchors)]
            if (reading.normalized, reading.skeleton, reading.is_partial, reading.reversed) == (
                row.normalized,
                row.skeleton,
                row.is_partial,
                row.reversed,
            ):
                continue
            changed.append(
                {
                    "key_item": row.item_id,
                    "key_role": row.role,
                    "new_normalized": reading.normalized,
                    "new_skeleton": reading.skeleton,
                    "new_partial": reading.is_partial,
                    "new_reversed": reading.reversed,
                }
            )
            filed[deletions] += [{"variant": v, **key} for v in sorted(reading.deletion_variants)]
            filed[transliterations] += [
                {"transliterated": s, **key} for s in sorted(reading.transliterations)
            ]
        if changed:
            bind.execute(update, changed)
            for table in (deletions, transliterations):
                bind.execute(
                    sa.delete(table).where(
                        table.c.item_id == sa.bindparam("key_item"),
                        table.c.role == sa.bindparam("key_role"),
                    ),
                    changed,
                )
        for table, rows in filed.items():
            insert_new(bind, table, rows)


def _rekey_registry_records(bind: sa.Connection) -> None:
    """Registry records are filed under the same keys: the keys of a record read again
    replace those it had, where they change (a partial record's anchors always do)."""
    postgres = bind.dialect.name == "postgresql"
    partial = sa.or_(records.c.normalized.contains("?"), records.c.normalized.contains("*"))
    query = sa.select(
        records.c.registry_name, records.c.reference, records.c.serial, records.c.normalized
    ).where(sa.or_(partial, _may_change(records.c.serial, postgres)))
    old_keys = sa.delete(registry_keys).where(
        registry_keys.c.registry_name == sa.bindparam("key_registry"),
        registry_keys.c.reference == sa.bindparam("key_reference"),
    )
    update = (
        sa.update(records)
        .where(
            records.c.registry_name == sa.bindparam("key_registry"),
            records.c.reference == sa.bindparam("key_reference"),
        )
        .values(normalized=sa.bindparam("new_normalized"))
    )
    for page in pages(bind, query, records.c.registry_name, records.c.reference):
        keys, read_again = [], []
        for row in page:
            reading = _read_again(row.serial, row.normalized)
            if not reading.is_partial and reading.normalized == row.normalized:
                continue
            read_again.append(
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
        if read_again:
            bind.execute(update, read_again)
            bind.execute(old_keys, read_again)
        insert_new(bind, registry_keys, keys)


def downgrade() -> None:
    raise RuntimeError("derived search keys are rebuilt forward, never migrated away")
