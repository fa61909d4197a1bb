"""Federation: agencies of other instances, ordered delivery in the outbox, the messages
received from peers; a trace request received from a peer refers to a recovery held
there, so its recovery and item are no longer foreign keys here.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PENDING = "done_at IS NULL AND failed_at IS NULL"


def upgrade() -> None:
    op.add_column("agencies", sa.Column("peer", sa.String(64)))
    op.add_column("outbox", sa.Column("ordering_key", sa.String(64)))
    op.create_index(
        "ix_outbox_ordering",
        "outbox",
        ["ordering_key", "created_at", "id"],
        sqlite_where=sa.text(f"ordering_key IS NOT NULL AND {PENDING}"),
        postgresql_where=sa.text(f"ordering_key IS NOT NULL AND {PENDING}"),
    )
    op.create_table(
        "received_exchanges",
        sa.Column("message_id", sa.Uuid(), primary_key=True),
        sa.Column("request_id", sa.Uuid(), sa.ForeignKey("trace_requests.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("peer", sa.String(64), nullable=False),
        sa.Column("sender_agency_id", sa.Uuid(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("status_after", sa.String(16), nullable=False),
    )
    op.create_index(
        "ix_received_exchanges_request", "received_exchanges", ["request_id", "received_at"]
    )
    if op.get_bind().dialect.name == "postgresql":
        for column in ("recovery_id", "item_id"):
            op.drop_constraint(f"trace_requests_{column}_fkey", "trace_requests", "foreignkey")
        return
    # SQLite keeps constraints unnamed: name them by convention to drop them, in a rebuilt
    # table (the migration runs with foreign key enforcement off, and checks them after).
    convention = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
    with op.batch_alter_table("trace_requests", naming_convention=convention) as batch:
        batch.drop_constraint("fk_trace_requests_recovery_id_recoveries", "foreignkey")
        batch.drop_constraint("fk_trace_requests_item_id_recovery_items", "foreignkey")


def downgrade() -> None:
    raise RuntimeError("trace requests are evidence; they are never migrated away")
