"""Trace requests, their history, responses and threads; history, responses and messages
are append-only in the database itself.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import UtcDateTime, json_document

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APPEND_ONLY = ("trace_transitions", "trace_responses", "trace_messages")


def upgrade() -> None:
    op.create_table(
        "trace_requests",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("requester_agency_id", sa.Uuid(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("addressee_agency_id", sa.Uuid(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("recovery_id", sa.Uuid(), sa.ForeignKey("recoveries.id"), nullable=False),
        sa.Column("item_id", sa.Uuid(), sa.ForeignKey("recovery_items.id"), nullable=False),
        sa.Column("item_recovered_at", UtcDateTime(), nullable=False),
        sa.Column("item_country", sa.String(2), nullable=False),
        sa.Column("item_circumstances", sa.String(32), nullable=False),
        sa.Column("item_description", json_document(), nullable=False),
        sa.Column("legal_justification", sa.String(4000), nullable=False),
        sa.Column("intended_use", sa.String(2000), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("submitted_at", UtcDateTime()),
        sa.Column("acknowledged_at", UtcDateTime()),
        sa.Column("first_response_at", UtcDateTime()),
        sa.Column("ended_at", UtcDateTime()),
        sa.Column("acknowledge_by", UtcDateTime()),
        sa.Column("respond_by", UtcDateTime()),
        sa.Column("info_requested_at", UtcDateTime()),
        sa.Column("due_at", UtcDateTime()),
        sa.Column("outcome", sa.String(24)),
        sa.Column("time_to_crime_days", sa.Integer()),
    )
    for box, column in (("outbox", "requester_agency_id"), ("inbox", "addressee_agency_id")):
        op.create_index(f"ix_trace_requests_{box}", "trace_requests", [column, "created_at", "id"])
        op.create_index(
            f"ix_trace_requests_{box}_status",
            "trace_requests",
            [column, "status", "created_at", "id"],
        )
        op.create_index(
            f"ix_trace_requests_{box}_due",
            "trace_requests",
            [column, "due_at"],
            sqlite_where=sa.text("due_at IS NOT NULL"),
            postgresql_where=sa.text("due_at IS NOT NULL"),
        )
    op.create_table(
        "trace_transitions",
        sa.Column("request_id", sa.Uuid(), sa.ForeignKey("trace_requests.id"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("by_id", sa.Uuid(), nullable=False),
        sa.Column("by_agency_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(4000)),
    )
    op.create_table(
        "trace_responses",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("request_id", sa.Uuid(), sa.ForeignKey("trace_requests.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("chain_of_custody", json_document(), nullable=False),
        sa.Column("notes", sa.String(10_000)),
        sa.Column("time_to_crime_days", sa.Integer()),
        sa.Column("responded_at", UtcDateTime(), nullable=False),
        sa.Column("responded_by", sa.Uuid(), nullable=False),
        sa.Column("responder_agency_id", sa.Uuid(), nullable=False),
        sa.UniqueConstraint("request_id", "number"),
    )
    op.create_table(
        "trace_messages",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("request_id", sa.Uuid(), sa.ForeignKey("trace_requests.id"), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("author_agency_id", sa.Uuid(), nullable=False),
        sa.Column("side", sa.String(16), nullable=False),
        sa.Column("body", sa.String(10_000), nullable=False),
        sa.Column("attachments", json_document(), nullable=False),
        sa.Column("posted_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_trace_messages_thread", "trace_messages", ["request_id", "posted_at", "id"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION tracedesk_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION tracedesk_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION tracedesk_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} "
                    f"ON {table} BEGIN SELECT RAISE(ABORT, "
                    f"'{table} is append-only: {operation} refused'); END"
                )


def downgrade() -> None:
    raise RuntimeError("trace requests are evidence; they are never migrated away")
