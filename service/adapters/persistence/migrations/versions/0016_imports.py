"""Imports of recoveries: jobs, their reports of rejected rows, and the keys of the rows
and recoveries they landed (a second import of the same rows changes nothing).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import UtcDateTime, key_text

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("agency_id", sa.Uuid(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_by_kind", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("source_name", sa.String(200), nullable=False),
        sa.Column("source_format", sa.String(8), nullable=False),
        sa.Column("source_size", sa.BigInteger(), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("all_or_nothing", sa.Boolean(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_imported", sa.BigInteger(), nullable=False),
        sa.Column("rows_already_imported", sa.BigInteger(), nullable=False),
        sa.Column("rows_rejected", sa.BigInteger(), nullable=False),
        sa.Column("recoveries_imported", sa.BigInteger(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("failure", sa.String(2000), nullable=True),
        sa.Column("claimed_until", UtcDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_import_jobs_agency", "import_jobs", ["agency_id", "created_at"])
    op.create_table(
        "import_rejects",
        sa.Column("import_id", sa.Uuid(), sa.ForeignKey("import_jobs.id"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("column", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
    )
    op.create_table(
        "imported_keys",
        sa.Column("agency_id", sa.Uuid(), sa.ForeignKey("agencies.id"), primary_key=True),
        sa.Column("key", key_text(420), primary_key=True),
        sa.Column("recovery_id", sa.Uuid(), sa.ForeignKey("recoveries.id"), nullable=False),
        sa.Column("import_id", sa.Uuid(), sa.ForeignKey("import_jobs.id"), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
    )
    op.create_index("ix_imported_keys_recovery", "imported_keys", ["recovery_id"])


def downgrade() -> None:
    op.drop_index("ix_imported_keys_recovery", table_name="imported_keys")
    op.drop_table("imported_keys")
    op.drop_table("import_rejects")
    op.drop_index("ix_import_jobs_agency", table_name="import_jobs")
    op.drop_table("import_jobs")
