"""A recovery's possessor (optional): name, date of birth, nationality, identity document.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns with no default: PostgreSQL adds them without rewriting the table.
    with op.batch_alter_table("recoveries") as batch:
        batch.add_column(sa.Column("possessor_name", sa.String(200)))
        batch.add_column(sa.Column("possessor_born_on", sa.Date()))
        batch.add_column(sa.Column("possessor_nationality", sa.String(2)))
        batch.add_column(sa.Column("possessor_document_number", sa.String(64)))
        batch.add_column(sa.Column("possessor_document_country", sa.String(2)))


def downgrade() -> None:
    raise RuntimeError("recoveries are evidence; their columns are never migrated away")
