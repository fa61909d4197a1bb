"""Users of agencies, with roles and Argon2id password hashes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import UtcDateTime, json_document

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("agency_id", sa.Uuid(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("roles", json_document(), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_users_agency_id", "users", ["agency_id"])
    if op.get_bind().dialect.name == "postgresql":
        # Servers remember who may act; every change to an account is announced so
        # they forget at once, whoever made it (tracedesk, the CLI, or SQL by hand).
        op.execute(
            """
            CREATE FUNCTION tracedesk_actor_changed() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('tracedesk_actor_changed', OLD.id::text);
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER users_announce_change AFTER UPDATE OR DELETE ON users "
            "FOR EACH ROW EXECUTE FUNCTION tracedesk_actor_changed()"
        )


def downgrade() -> None:
    op.drop_table("users")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS tracedesk_actor_changed()")
