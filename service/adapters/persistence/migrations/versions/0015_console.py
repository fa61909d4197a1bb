"""The web console: its sessions, each person's language and time zone (and when they
last looked at their networks), and photos of items' markings.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
        batch.add_column(sa.Column("networks_seen_at", UtcDateTime(), nullable=True))
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    op.create_table(
        "item_photos",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("recovery_id", sa.Uuid(), sa.ForeignKey("recoveries.id"), nullable=False),
        sa.Column("item_id", sa.Uuid(), sa.ForeignKey("recovery_items.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(16), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("thumbnail_sha256", sa.String(64), nullable=False),
        sa.Column("caption", sa.String(200), nullable=True),
        sa.Column("attached_at", UtcDateTime(), nullable=False),
        sa.Column("attached_by", sa.Uuid(), nullable=False),
    )
    op.create_index("ix_item_photos_recovery", "item_photos", ["recovery_id", "attached_at"])


def downgrade() -> None:
    op.drop_index("ix_item_photos_recovery", table_name="item_photos")
    op.drop_table("item_photos")
    op.drop_index("ix_console_sessions_user_id", table_name="console_sessions")
    op.drop_table("console_sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("networks_seen_at")
        batch.drop_column("time_zone")
        batch.drop_column("language")
