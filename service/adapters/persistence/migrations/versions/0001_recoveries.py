"""Agencies, recoveries, items, identifier search keys and correction history.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import UtcDateTime, json_document, key_text

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # Trigram index for serial patterns with leading wildcards (`*123`); pg_trgm is a
        # trusted extension, so the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.create_table(
        "agencies",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "recoveries",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("agency_id", sa.Uuid(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("recovered_at", UtcDateTime(), nullable=False),
        sa.Column("location_description", sa.String(500), nullable=False),
        sa.Column("location_country", sa.String(2), nullable=False),
        sa.Column("location_lat", sa.Float(), nullable=True),
        sa.Column("location_lon", sa.Float(), nullable=True),
        sa.Column("circumstances", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("reference_version", sa.String(32), nullable=False),
    )
    op.create_index(
        "ix_recoveries_agency_recovered_at", "recoveries", ["agency_id", "recovered_at", "id"]
    )
    op.create_index(
        "ix_recoveries_agency_case_reference", "recoveries", ["agency_id", "case_reference"]
    )
    op.create_table(
        "recovery_items",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("recovery_id", sa.Uuid(), sa.ForeignKey("recoveries.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("make_raw", sa.String(64)),
        sa.Column("make_canonical", sa.String(100)),
        sa.Column("model", sa.String(64)),
        sa.Column("calibre_raw", sa.String(64)),
        sa.Column("calibre_canonical", sa.String(100)),
        sa.Column("serial_state", sa.String(16)),
        sa.Column("firearm_type", sa.String(32)),
        sa.Column("country_of_manufacture", sa.String(2)),
        sa.Column("import_marking_text", sa.String(64)),
        sa.Column("import_marking_country", sa.String(2)),
        sa.Column("import_marking_year", sa.Integer()),
        sa.Column("other_markings", sa.String(1000)),
        sa.Column("headstamp", sa.String(64)),
        sa.Column("quantity", sa.Integer()),
        sa.Column("component_category", sa.String(8)),
        sa.Column("part_number", sa.String(64)),
        sa.Column("description", sa.String(1000)),
    )
    op.create_index("ix_recovery_items_recovery", "recovery_items", ["recovery_id", "position"])
    op.create_index("ix_recovery_items_make_canonical", "recovery_items", ["make_canonical"])
    op.create_index("ix_recovery_items_calibre_canonical", "recovery_items", ["calibre_canonical"])
    op.create_table(
        "item_identifiers",
        sa.Column("item_id", sa.Uuid(), sa.ForeignKey("recovery_items.id"), primary_key=True),
        sa.Column("role", sa.String(8), primary_key=True),
        sa.Column("recovery_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("raw", sa.String(64), nullable=False),
        sa.Column("normalized", key_text(256), nullable=False),
        sa.Column("skeleton", key_text(256), nullable=False),
        sa.Column("is_partial", sa.Boolean(), nullable=False),
        sa.Column("anchor", key_text(8)),
    )
    op.create_index("ix_item_identifiers_normalized", "item_identifiers", ["normalized"])
    op.create_index("ix_item_identifiers_skeleton", "item_identifiers", ["skeleton"])
    op.create_index(
        "ix_item_identifiers_anchor",
        "item_identifiers",
        ["anchor"],
        sqlite_where=sa.text("anchor IS NOT NULL"),
        postgresql_where=sa.text("anchor IS NOT NULL"),
    )
    if postgres:
        op.create_index(
            "ix_item_identifiers_normalized_trgm",
            "item_identifiers",
            ["normalized"],
            postgresql_using="gin",
            postgresql_ops={"normalized": "gin_trgm_ops"},
        )
    op.create_table(
        "identifier_deletions",
        sa.Column("variant", key_text(256), primary_key=True),
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("role", sa.String(8), primary_key=True),
        sa.ForeignKeyConstraint(
            ["item_id", "role"],
            ["item_identifiers.item_id", "item_identifiers.role"],
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "recovery_corrections",
        sa.Column("recovery_id", sa.Uuid(), sa.ForeignKey("recoveries.id"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("corrected_at", UtcDateTime(), nullable=False),
        sa.Column("corrected_by", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("changes", json_document(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "recovery_corrections",
        "identifier_deletions",
        "item_identifiers",
        "recovery_items",
        "recoveries",
        "agencies",
    ):
        op.drop_table(table)
