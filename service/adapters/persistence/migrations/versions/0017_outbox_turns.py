"""Whose turn it is, per ordering key, read from the messages still to be handled only.

A claim asks, for each keyed message it considers, whether an earlier message of the
same key is still to be handled. Since 0014 the only index by key covers done messages
too, so that question walked every done message of the key first: with a backlog of
linking messages (all of one key) over tens of thousands done, one claim took 30 s.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_WAITING = "ordering_key IS NOT NULL AND done_at IS NULL AND failed_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_outbox_turns",
        "outbox",
        ["ordering_key", "created_at", "id"],
        sqlite_where=sa.text(_WAITING),
        postgresql_where=sa.text(_WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_turns", table_name="outbox")
