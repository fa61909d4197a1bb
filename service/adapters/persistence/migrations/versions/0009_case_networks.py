"""Case networks: nodes, links (never deleted) and network sizes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.adapters.persistence.types import UtcDateTime, json_document

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_nodes",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("agency_id", sa.Uuid(), sa.ForeignKey("agencies.id")),
        sa.Column("label", sa.String(400), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("occurred_at", UtcDateTime()),
        sa.Column("country", sa.String(2)),
        sa.UniqueConstraint("kind", "key", name="uq_network_nodes_ref"),
    )
    op.create_index("ix_network_nodes_network", "network_nodes", ["network_id", "agency_id"])
    op.create_index("ix_network_nodes_agency", "network_nodes", ["agency_id", "network_id"])
    op.create_table(
        "network_links",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("source_id", sa.Uuid(), sa.ForeignKey("network_nodes.id"), nullable=False),
        sa.Column("target_id", sa.Uuid(), sa.ForeignKey("network_nodes.id"), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("rule", sa.String(32)),
        sa.Column("rule_version", sa.Integer()),
        sa.Column("created_by", sa.Uuid()),
        sa.Column("evidence", json_document(), nullable=False),
        sa.Column("decided_by", sa.Uuid()),
        sa.Column("decided_at", UtcDateTime()),
        sa.Column("decision_reason", sa.String(4000)),
        sa.UniqueConstraint("kind", "source_id", "target_id", name="uq_network_links_ends"),
    )
    op.create_index("ix_network_links_source", "network_links", ["source_id"])
    op.create_index("ix_network_links_target", "network_links", ["target_id"])
    op.create_table(
        "networks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("grown_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_networks_size", "networks", ["size"])
    # Linking finds the answers about a recovery's items.
    op.create_index("ix_trace_requests_recovery", "trace_requests", ["recovery_id"])


def downgrade() -> None:
    raise RuntimeError("case networks are evidence; they are never migrated away")
