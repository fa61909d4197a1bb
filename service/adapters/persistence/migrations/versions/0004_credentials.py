"""Service accounts and their API keys, refresh tokens, sign-in failure counters.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import UtcDateTime, json_document

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_accounts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("agency_id", sa.Uuid(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scopes", json_document(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("agency_id", "name"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "service_account_id", sa.Uuid(), sa.ForeignKey("service_accounts.id"), nullable=False
        ),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("secret_digest", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.Uuid()),
        sa.Column("last_used_at", UtcDateTime()),
        sa.Column("revoked_at", UtcDateTime()),
    )
    op.create_index("ix_api_keys_service_account_id", "api_keys", ["service_account_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime()),
        sa.Column("revoked_at", UtcDateTime()),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", UtcDateTime(), nullable=False),
        sa.Column("locked_until", UtcDateTime()),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Servers remember service accounts too: announce changes to them and to their
        # keys (a key's announcement names its service account, whom servers remember).
        op.execute(
            """
            CREATE FUNCTION tracedesk_key_changed() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('tracedesk_actor_changed', OLD.service_account_id::text);
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER service_accounts_announce_change AFTER UPDATE OR DELETE "
            "ON service_accounts FOR EACH ROW EXECUTE FUNCTION tracedesk_actor_changed()"
        )
        op.execute(
            "CREATE TRIGGER api_keys_announce_change AFTER UPDATE OR DELETE ON api_keys "
            "FOR EACH ROW EXECUTE FUNCTION tracedesk_key_changed()"
        )


def downgrade() -> None:
    for table in ("sign_in_failures", "refresh_tokens", "api_keys", "service_accounts"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS tracedesk_key_changed()")
