"""Registries kept in tracedesk's own database, with their lookup keys.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import json_document, key_text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_records",
        sa.Column("registry_name", sa.String(64), primary_key=True),
        sa.Column("reference", sa.String(100), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("serial", sa.String(64), nullable=False),
        sa.Column("normalized", key_text(256), nullable=False),
        sa.Column("make_raw", sa.String(64)),
        sa.Column("make_canonical", sa.String(100)),
        sa.Column("model", sa.String(64)),
        sa.Column("calibre_raw", sa.String(64)),
        sa.Column("calibre_canonical", sa.String(100)),
        sa.Column("country", sa.String(2)),
        sa.Column("recorded_on", sa.Date()),
        sa.Column("details", json_document(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_registry_records_normalized", "registry_records", ["registry_name", "normalized"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_registry_records_normalized_trgm",
            "registry_records",
            ["normalized"],
            postgresql_using="gin",
            postgresql_ops={"normalized": "gin_trgm_ops"},
        )
    op.create_table(
        "registry_keys",
        sa.Column("key", key_text(256), primary_key=True),
        sa.Column("registry_name", sa.String(64), primary_key=True),
        sa.Column("reference", sa.String(100), primary_key=True),
        sa.ForeignKeyConstraint(
            ["registry_name", "reference"],
            ["registry_records.registry_name", "registry_records.reference"],
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("registry_keys")
    op.drop_table("registry_records")
