"""What the network endpoints answer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from service.case_networks import HiddenNode, NetworkView, PathView
from service.domain.networks.links import Link, LinkKind, LinkStatus
from service.domain.networks.nodes import Node, NodeKind


class NodeOut(BaseModel):
    id: UUID
    kind: NodeKind
    key: str = Field(description="What the node stands for (a recovery's id, a licence...)")
    label: str
    agency_id: UUID | None = Field(
        description="Whose evidence; none for shared nodes (registry records, parties, "
        "persons, places), which an agency sees only through its own records"
    )
    occurred_at: datetime | None
    country: str | None


class LinkOut(BaseModel):
    id: UUID
    kind: LinkKind
    source_id: UUID | None = Field(description="None when that end is a hidden node")
    target_id: UUID | None
    hidden_agency_id: UUID | None = Field(
        default=None, description="The agency owning the hidden end, when one end is hidden"
    )
    confidence: float
    status: LinkStatus
    # The rest is withheld (null, or no evidence) from a link to a hidden node.
    rule: str | None = None
    rule_version: int | None = None
    created_by: UUID | None = None
    created_at: datetime | None = Field(default=None, description="Withheld when an end is hidden")
    evidence: dict[str, Any] = Field(default_factory=dict)
    decided_by: UUID | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None


# What a link to a node the caller may not see shows: that it exists, its kind and
# strength and whom to ask; nothing of how it was made, nor of who judged it and why
# (that may be the other agency's). A field added to LinkOut is withheld from such links
# until it is named here (tests/api/test_hidden_fields.py asks for the decision).
SHOWN_OF_HIDDEN_LINK: Final = frozenset(
    {"id", "kind", "source_id", "target_id", "hidden_agency_id", "confidence", "status"}
)


class HiddenOut(BaseModel):
    agency_id: UUID
    agency_name: str
    nodes: int = Field(description="Nodes of that agency you may not see; ask them")


class NetworkOut(BaseModel):
    network_id: UUID
    network_size: int = Field(description="Every node of the network, seen or not")
    nodes: list[NodeOut]
    links: list[LinkOut]
    hidden: list[HiddenOut]
    hidden_shared: int = Field(
        description="Registry records and parties reached only through other agencies' nodes"
    )
    more: int = Field(description="Nodes within the depth left out by the node cap")


class AgencyShare(BaseModel):
    agency_id: UUID
    name: str
    nodes: int


class NetworkSummaryOut(BaseModel):
    id: UUID
    size: int
    created_at: datetime
    grown_at: datetime
    agencies: list[AgencyShare]
    shared_nodes: int = Field(
        description="Registry records hit and parties of chains of custody: shared, not "
        "any one agency's"
    )
    countries: list[str]
    first_recovered_at: datetime | None
    last_recovered_at: datetime | None


class NetworkListOut(BaseModel):
    networks: list[NetworkSummaryOut]


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=4000)


def network_out(view: NetworkView) -> NetworkOut:
    return NetworkOut(
        network_id=view.network_id,
        network_size=view.network_size,
        nodes=[
            NodeOut(
                id=n.id,
                kind=n.ref.kind,
                key=n.ref.key,
                label=n.label,
                agency_id=n.agency_id,
                occurred_at=n.occurred_at,
                country=n.country,
            )
            for n in view.nodes
        ],
        links=[link_out(link, view.hidden_of) for link in view.links],
        hidden=[
            HiddenOut(agency_id=h.agency_id, agency_name=h.agency_name, nodes=h.nodes)
            for h in view.hidden
        ],
        hidden_shared=view.hidden_shared,
        more=view.more,
    )


def link_out(link: Link, hidden_of: Mapping[UUID, UUID | None]) -> LinkOut:
    ends_hidden = [end for end in (link.source_id, link.target_id) if end in hidden_of]
    shown: dict[str, Any] = {
        "id": link.id,
        "kind": link.kind,
        "source_id": None if link.source_id in hidden_of else link.source_id,
        "target_id": None if link.target_id in hidden_of else link.target_id,
        "hidden_agency_id": hidden_of[ends_hidden[0]] if ends_hidden else None,
        "confidence": link.confidence,
        "status": link.status,
        "rule": link.rule,
        "rule_version": link.rule_version,
        "created_by": link.created_by,
        "created_at": link.created_at,
        "evidence": dict(link.evidence),
        "decided_by": link.decided_by,
        "decided_at": link.decided_at,
        "decision_reason": link.decision_reason,
    }
    if ends_hidden:
        shown = {name: value for name, value in shown.items() if name in SHOWN_OF_HIDDEN_LINK}
    return LinkOut(**shown)


class PathNodeOut(BaseModel):
    id: UUID
    hidden: bool
    kind: str | None = None
    label: str | None = None
    agency_id: UUID | None = None
    agency_name: str | None = Field(default=None, description="Whom to ask, when hidden")


class PathOut(BaseModel):
    found: bool
    missing: Literal["different_networks", "beyond_bounds"] | None = Field(
        default=None,
        description="Why there is no chain: the two are in different networks, or further "
        "apart than the walk's bounds (16 links, 6,000 nodes)",
    )
    nodes: list[PathNodeOut] = Field(description="From the first recovery to the second")
    links: list[LinkOut] = Field(description="Between consecutive nodes, with their evidence")


# What a node the caller may not see shows on a path: that it is there, and whose it is
# (HiddenNode carries nothing more).
SHOWN_OF_HIDDEN_PATH_NODE: Final = frozenset({"id", "hidden", "agency_id", "agency_name"})


def path_node_out(node: Node | HiddenNode) -> PathNodeOut:
    if isinstance(node, HiddenNode):
        return PathNodeOut(
            id=node.id, hidden=True, agency_id=node.agency_id, agency_name=node.agency_name
        )
    return PathNodeOut(
        id=node.id,
        hidden=False,
        kind=node.ref.kind.value,
        label=node.label,
        agency_id=node.agency_id,
    )


def path_out(view: PathView) -> PathOut:
    if view.missing is not None:
        return PathOut(found=False, missing=view.missing, nodes=[], links=[])
    nodes = [path_node_out(n) for n in view.nodes]
    return PathOut(
        found=True, nodes=nodes, links=[link_out(link, view.hidden_of) for link in view.links]
    )


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["manual", "ballistic", "same_person"]
    from_recovery_id: UUID
    to_recovery_id: UUID
    rationale: str = Field(max_length=4000, examples=["Same courier, same route, two weeks apart"])
    reference: str | None = Field(
        default=None, max_length=200, description="For a ballistic hit: its reference there"
    )
    confidence: float = Field(default=1.0, gt=0, le=1)
