"""What outbox work is about (a recovery's registry checks), so that a recovery shows
how its checks are going; and the ordering index covers done messages too, so that a
trace request's delivery state reads its own messages, not the whole outbox.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


_NAME_SUBJECTS = {
    "postgresql": "UPDATE outbox SET subject = 'recovery:' || (payload->>'recovery_id') "
    "WHERE topic = 'registry.check'",
    "sqlite": "UPDATE outbox SET subject = 'recovery:' || json_extract(payload, '$.recovery_id') "
    "WHERE topic = 'registry.check'",
}


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("subject", sa.String(64), nullable=True))
    op.drop_index("ix_outbox_ordering", table_name="outbox")
    op.create_index(
        "ix_outbox_ordering",
        "outbox",
        ["ordering_key", "created_at", "id"],
        sqlite_where=sa.text("ordering_key IS NOT NULL"),
        postgresql_where=sa.text("ordering_key IS NOT NULL"),
    )
    op.create_index(
        "ix_outbox_subject",
        "outbox",
        ["subject", "created_at"],
        sqlite_where=sa.text("subject IS NOT NULL"),
        postgresql_where=sa.text("subject IS NOT NULL"),
    )
    # Checks asked for before this release say whom they are about in their payload.
    op.execute(_NAME_SUBJECTS[op.get_bind().dialect.name])


def downgrade() -> None:
    op.drop_index("ix_outbox_subject", table_name="outbox")
    op.drop_index("ix_outbox_ordering", table_name="outbox")
    op.create_index(
        "ix_outbox_ordering",
        "outbox",
        ["ordering_key", "created_at", "id"],
        sqlite_where=sa.text("ordering_key IS NOT NULL AND done_at IS NULL AND failed_at IS NULL"),
        postgresql_where=sa.text(
            "ordering_key IS NOT NULL AND done_at IS NULL AND failed_at IS NULL"
        ),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("subject")
