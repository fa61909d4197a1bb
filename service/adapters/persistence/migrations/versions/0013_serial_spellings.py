"""Serial search keys for transliterated readings and partly obliterated ones.

- `item_identifiers.reversed`: the normalized reading backwards, so a pattern's known
  end is a range on a B-tree (`*46`).
- `identifier_transliterations`: the Latin spellings of readings with Cyrillic or Greek
  letters that look like no Latin one; their one-deletion variants join the others in
  `identifier_deletions`, and registry records get the same keys in `registry_keys`.
- Partial readings were anchored by the end of their longest run, or without one by
  their known end or start, not by a first trigram that a maker's prefix shares (0019
  files them under every stretch instead, in a table of their own).
- On PostgreSQL the trigram index moves from `normalized` to `reversed`: pg_trgm answers
  equality too, and the planner served `normalized = ANY(...)` from it on numeric serials,
  where trigrams are common (64 ms instead of 0.7 ms). The B-trees on `normalized` and
  `reversed` cover the item and role, so a range lookup reads no table page.

Every existing reading gets its new keys here, computed by the same domain functions
that compute them for new readings. (This revision also moved the anchor of partial
readings in `item_identifiers.anchor`; 0019 replaced that column by a table of anchors
and files every partial reading there, so the move is no longer done here.)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.migrations.paging import insert_new, pages
from service.adapters.persistence.types import key_text
from service.domain.identifiers import Identifier, skeleton
from service.domain.matching import stored_keys

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FOUND = ["item_id", "role"]

readings = sa.table(
    "item_identifiers",
    sa.column("item_id", sa.Uuid()),
    sa.column("role", sa.String()),
    sa.column("raw", sa.String()),
    sa.column("normalized", sa.String()),
    sa.column("is_partial", sa.Boolean()),
    sa.column("anchor", sa.String()),
    sa.column("reversed", sa.String()),
)
deletions = sa.table(
    "identifier_deletions",
    sa.column("variant", sa.String()),
    sa.column("item_id", sa.Uuid()),
    sa.column("role", sa.String()),
)
records = sa.table(
    "registry_records",
    sa.column("registry_name", sa.String()),
    sa.column("reference", sa.String()),
    sa.column("serial", sa.String()),
    sa.column("normalized", sa.String()),
)
registry_keys = sa.table(
    "registry_keys",
    sa.column("key", sa.String()),
    sa.column("registry_name", sa.String()),
    sa.column("reference", sa.String()),
)


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    transliterations = op.create_table(
        "identifier_transliterations",
        sa.Column("transliterated", key_text(256), primary_key=True),
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("role", sa.String(8), primary_key=True),
        sa.ForeignKeyConstraint(
            ["item_id", "role"],
            ["item_identifiers.item_id", "item_identifiers.role"],
            ondelete="CASCADE",
        ),
    )
    op.add_column("item_identifiers", sa.Column("reversed", key_text(256)))
    if postgres:
        op.execute("UPDATE item_identifiers SET reversed = reverse(normalized)")
        op.alter_column("item_identifiers", "reversed", nullable=False)
    else:
        _reverse_in_python(bind)
        with op.batch_alter_table("item_identifiers") as batch:
            batch.alter_column("reversed", existing_type=key_text(256), nullable=False)

    _spell_readings(bind, transliterations)
    _spell_registry_records(bind)

    if postgres:
        op.drop_index("ix_item_identifiers_normalized_trgm", table_name="item_identifiers")
        op.drop_index("ix_item_identifiers_normalized", table_name="item_identifiers")
        op.create_index(
            "ix_item_identifiers_normalized",
            "item_identifiers",
            ["normalized"],
            postgresql_include=FOUND,
        )
    op.create_index(
        "ix_item_identifiers_reversed",
        "item_identifiers",
        ["reversed"],
        postgresql_include=["normalized", *FOUND],
    )
    if postgres:
        op.create_index(
            "ix_item_identifiers_reversed_trgm",
            "item_identifiers",
            ["reversed"],
            postgresql_using="gin",
            postgresql_ops={"reversed": "gin_trgm_ops"},
            # Searches never read a pending list of new rows (see the model).
            postgresql_with={"fastupdate": "off"},
        )
        # The planner knows the new column and table from the start, where there are
        # rows to describe. Never on empty tables: statistics that say "empty" make the
        # planner check every foreign key into them by a scan, a plan each connection
        # keeps, and writes slow down as the tables fill (4x at a few thousand rows).
        if (
            op.get_bind()
            .execute(sa.text("SELECT EXISTS (SELECT 1 FROM item_identifiers)"))
            .scalar()
        ):
            op.execute(
                "ANALYZE item_identifiers, identifier_transliterations, identifier_deletions"
            )


def _non_ascii(column: sa.ColumnElement[str], postgres: bool) -> sa.ColumnElement[bool]:
    """Readings with a character beyond ASCII: only those can have a Cyrillic or Greek
    letter (bytes outnumber characters in UTF-8)."""
    if postgres:
        return sa.func.octet_length(column) != sa.func.char_length(column)
    return sa.func.length(sa.cast(column, sa.LargeBinary())) != sa.func.length(column)


def _reverse_in_python(bind: sa.Connection) -> None:
    # SQLite has no reverse().
    query = sa.select(readings.c.item_id, readings.c.role, readings.c.normalized)
    update = (
        sa.update(readings)
        .where(
            readings.c.item_id == sa.bindparam("key_item"),
            readings.c.role == sa.bindparam("key_role"),
        )
        .values(reversed=sa.bindparam("value"))
    )
    for batch in pages(bind, query, readings.c.item_id, readings.c.role):
        bind.execute(
            update,
            [
                {"key_item": r.item_id, "key_role": r.role, "value": r.normalized[::-1]}
                for r in batch
            ],
        )


def _spell_readings(bind: sa.Connection, transliterations: sa.Table) -> None:
    postgres = bind.dialect.name == "postgresql"
    query = sa.select(
        readings.c.item_id, readings.c.role, readings.c.raw, readings.c.normalized
    ).where(sa.not_(readings.c.is_partial), _non_ascii(readings.c.raw, postgres))
    for batch in pages(bind, query, readings.c.item_id, readings.c.role):
        spelled, variants = [], []
        for row in batch:
            reading = Identifier(
                raw=row.raw, normalized=row.normalized, skeleton=skeleton(row.normalized)
            )
            key = {"item_id": row.item_id, "role": row.role}
            spelled += [{"transliterated": s, **key} for s in sorted(reading.transliterations)]
            if reading.transliterations:
                variants += [{"variant": v, **key} for v in sorted(reading.deletion_variants)]
        insert_new(bind, transliterations, spelled)
        insert_new(bind, deletions, variants)


def _spell_registry_records(bind: sa.Connection) -> None:
    """Registry records are filed under the same keys: their spellings, and the new
    anchors of partial readings (which replace the old ones)."""
    postgres = bind.dialect.name == "postgresql"
    partial = sa.or_(records.c.normalized.contains("?"), records.c.normalized.contains("*"))
    query = sa.select(
        records.c.registry_name, records.c.reference, records.c.serial, records.c.normalized
    ).where(sa.or_(partial, _non_ascii(records.c.serial, postgres)))
    old_anchors = sa.delete(registry_keys).where(
        registry_keys.c.registry_name == sa.bindparam("key_registry"),
        registry_keys.c.reference == sa.bindparam("key_reference"),
        registry_keys.c.key.startswith("a:"),
    )
    for batch in pages(bind, query, records.c.registry_name, records.c.reference):
        keys, anchored = [], []
        for row in batch:
            reading = Identifier(
                raw=row.serial, normalized=row.normalized, skeleton=skeleton(row.normalized)
            )
            keys += [
                {"key": key, "registry_name": row.registry_name, "reference": row.reference}
                for key in sorted(stored_keys(reading))
            ]
            if reading.is_partial:
                anchored.append({"key_registry": row.registry_name, "key_reference": row.reference})
        if anchored:
            bind.execute(old_anchors, anchored)
        insert_new(bind, registry_keys, keys)


def downgrade() -> None:
    raise RuntimeError("derived search keys are rebuilt forward, never migrated away")
