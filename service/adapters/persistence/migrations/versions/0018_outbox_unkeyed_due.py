"""Due messages without an ordering key, by when they are due.

A claim now reads two short lists instead of walking every waiting message: the due
messages without a key, in order, and the first waiting message of each key. The first
list had only the index of every waiting message to walk, keyed ones included: behind a
backlog of linking (all of one key), it stepped over thousands of them to find the
registry checks after.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_UNKEYED_WAITING = "ordering_key IS NULL AND done_at IS NULL AND failed_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_outbox_due_unkeyed",
        "outbox",
        ["available_at", "id"],
        sqlite_where=sa.text(_UNKEYED_WAITING),
        postgresql_where=sa.text(_UNKEYED_WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_due_unkeyed", table_name="outbox")
