"""The linking rules every recovery was last linked by: a worker starting on a release
whose rules differ links every recovery again, once.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rules = op.create_table(
        "network_rules",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("rules", sa.String(1000)),
        sa.Column("changed_at", UtcDateTime()),
    )
    # No rules yet: the first worker to start links everything by the rules in force
    # (on a database from before, that moves retail purchasers from parties to persons).
    op.bulk_insert(rules, [{"id": 1, "rules": None, "changed_at": None}])


def downgrade() -> None:
    raise RuntimeError("case networks are evidence; they are never migrated away")
