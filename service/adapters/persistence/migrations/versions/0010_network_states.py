"""What each network is made of (nodes per agency, countries, time span), kept with its
size, so listing networks never counts their nodes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import UtcDateTime, json_document

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("networks") as batch:
        batch.add_column(
            sa.Column("nodes_by_agency", json_document(), nullable=False, server_default="{}")
        )
        batch.add_column(
            sa.Column("countries", json_document(), nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("first_at", UtcDateTime()))
        batch.add_column(sa.Column("last_at", UtcDateTime()))
    if op.get_bind().dialect.name == "postgresql":
        # Walks read a link's ends, status, kind and confidence from the index alone.
        walked = ["source_id", "target_id", "status", "kind", "confidence", "id"]
        for end in ("source", "target"):
            op.drop_index(f"ix_network_links_{end}", "network_links")
            op.create_index(
                f"ix_network_links_{end}",
                "network_links",
                [f"{end}_id"],
                postgresql_include=walked,
            )


def downgrade() -> None:
    raise RuntimeError("case networks are evidence; they are never migrated away")
