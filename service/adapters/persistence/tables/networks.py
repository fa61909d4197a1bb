"""Case networks: nodes, links, networks and the rules they were linked by."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.adapters.persistence.types import UtcDateTime, json_document

# What a walk of the networks reads of a link: covered by the ends' indexes on PostgreSQL.
WALKED = ["source_id", "target_id", "status", "kind", "confidence", "id"]


class NetworkNodeRow(SQLModel, table=True):
    """A node of the case networks: what it stands for (kind and key), whose it is, and
    the network it belongs to now."""

    __tablename__ = "network_nodes"
    __table_args__ = (
        sa.UniqueConstraint("kind", "key", name="uq_network_nodes_ref"),
        sa.Index("ix_network_nodes_network", "network_id", "agency_id"),
        sa.Index("ix_network_nodes_agency", "agency_id", "network_id"),
    )

    id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=24)
    key: str = Field(max_length=400)
    agency_id: UUID | None = Field(default=None, foreign_key="agencies.id")
    label: str = Field(max_length=400)
    network_id: UUID
    created_at: datetime = Field(sa_type=UtcDateTime)
    occurred_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    country: str | None = Field(default=None, max_length=2)


class NetworkLinkRow(SQLModel, table=True):
    """A link, with its ends in key order (links are undirected), its provenance and the
    decision a person made on it; links are never deleted."""

    __tablename__ = "network_links"
    __table_args__ = (
        sa.UniqueConstraint("kind", "source_id", "target_id", name="uq_network_links_ends"),
        # Covering on PostgreSQL: a walk reads links from the index alone.
        sa.Index("ix_network_links_source", "source_id", postgresql_include=WALKED),
        sa.Index("ix_network_links_target", "target_id", postgresql_include=WALKED),
    )

    id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=24)
    source_id: UUID = Field(foreign_key="network_nodes.id")
    target_id: UUID = Field(foreign_key="network_nodes.id")
    confidence: float
    status: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UtcDateTime)
    rule: str | None = Field(default=None, max_length=32)
    rule_version: int | None = None
    created_by: UUID | None = None
    evidence: dict[str, Any] = Field(sa_type=json_document())
    decided_by: UUID | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decision_reason: str | None = Field(default=None, max_length=4000)


class NetworkRow(SQLModel, table=True):
    """A network's size, kept as links merge and split it (never counted per request)."""

    __tablename__ = "networks"
    __table_args__ = (sa.Index("ix_networks_size", "size"),)

    id: UUID = Field(primary_key=True)
    size: int
    created_at: datetime = Field(sa_type=UtcDateTime)
    grown_at: datetime = Field(sa_type=UtcDateTime)
    # Agency id (or "shared") -> nodes; countries; time span of its recoveries.
    nodes_by_agency: dict[str, int] = Field(
        sa_type=json_document(), sa_column_kwargs={"server_default": "{}"}
    )
    countries: list[str] = Field(sa_type=json_document(), sa_column_kwargs={"server_default": "[]"})
    first_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class NetworkRulesRow(SQLModel, table=True):
    """One row: the linking rules and versions every recovery was last linked by."""

    __tablename__ = "network_rules"

    id: int = Field(primary_key=True)
    rules: str | None = Field(default=None, max_length=1000)
    changed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


network_nodes = NetworkNodeRow.__table__  # type: ignore[attr-defined]
network_links = NetworkLinkRow.__table__  # type: ignore[attr-defined]
networks = NetworkRow.__table__  # type: ignore[attr-defined]
network_rules = NetworkRulesRow.__table__  # type: ignore[attr-defined]
