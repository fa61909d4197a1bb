"""The transactional outbox, and the registry hits its checks find.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import UtcDateTime, json_document

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("payload", json_document(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("available_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(2000)),
        sa.Column("leased_until", UtcDateTime()),
        sa.Column("done_at", UtcDateTime()),
        sa.Column("failed_at", UtcDateTime()),
    )
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["available_at", "id"],
        sqlite_where=sa.text("done_at IS NULL AND failed_at IS NULL"),
        postgresql_where=sa.text("done_at IS NULL AND failed_at IS NULL"),
    )
    op.create_table(
        "registry_hits",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("recovery_id", sa.Uuid(), sa.ForeignKey("recoveries.id"), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("registry_name", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("match_kind", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("record", json_document(), nullable=False),
        sa.Column("found_at", UtcDateTime(), nullable=False),
        sa.Column("recovery_version", sa.Integer(), nullable=False),
        sa.Column("cleared_at", UtcDateTime()),
    )
    op.create_index("ix_registry_hits_recovery", "registry_hits", ["recovery_id", "found_at"])
    op.create_index("ix_registry_hits_agency", "registry_hits", ["agency_id", "found_at"])


def downgrade() -> None:
    op.drop_table("registry_hits")
    op.drop_table("outbox")
