"""The case networks: nodes, links and network memberships."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from service.domain.networks.links import Link, LinkKind
from service.domain.networks.membership import NetworkState
from service.domain.networks.nodes import Node, NodeRef


class NetworkGraph(Protocol):
    """The case networks' nodes, links and network memberships. Reads see what is
    committed; writes are staged and applied, in order, with the unit of work."""

    async def nodes(self, refs: Sequence[NodeRef]) -> dict[NodeRef, Node]: ...

    async def nodes_by_id(self, node_ids: Collection[UUID]) -> dict[UUID, Node]: ...

    def add_node(self, node: Node) -> None: ...

    def describe_node(self, node: Node) -> None:
        """Stage a stored node's label, time and country (`described`); its network is
        left as it stands, whatever merge or split this unit of work stages too."""

    async def links_touching(
        self,
        node_ids: Collection[UUID],
        *,
        standing_only: bool = False,
        min_confidence: float = 0.0,
        kinds: Collection[LinkKind] | None = None,
    ) -> list[Link]:
        """Links with an end among these nodes."""
        ...

    async def adjacent(
        self,
        node_ids: Collection[UUID],
        *,
        min_confidence: float = 0.0,
        kinds: Collection[LinkKind] | None = None,
    ) -> list[tuple[UUID, UUID, UUID]]:
        """(link, source, target) of the standing links with an end among these nodes:
        what a walk needs, without the links' evidence."""
        ...

    async def links_by_id(self, link_ids: Collection[UUID]) -> list[Link]: ...

    async def link(self, link_id: UUID) -> Link | None: ...

    def add_link(self, link: Link) -> None: ...

    def update_link(self, link: Link) -> None:
        """Stage a link's new status (and decision), confidence or evidence."""

    async def network_states(self, network_ids: Collection[UUID]) -> dict[UUID, NetworkState]: ...

    async def rules_applied(self) -> str | None:
        """The rules (`rules_in_force`) every recovery was last linked again by; None
        before the first time."""
        ...

    async def has_nodes(self) -> bool:
        """Whether anything was ever linked."""
        ...

    def record_rules(self, rules: str, *, replacing: str | None, at: datetime) -> None:
        """Stage the rules now in force, if the stored ones are still `replacing`; if
        another process changed them first, the commit fails with Conflict."""

    def save_network(self, state: NetworkState, *, at: datetime, new: bool) -> None:
        """Stage a network's state, changed (or created, when `new`) at `at`."""

    async def counted_state(self, network_id: UUID) -> NetworkState:
        """A network's state counted from its nodes (after a split narrowed it)."""
        ...

    def relabel(self, from_network: UUID, to_network: UUID) -> None:
        """Stage moving every node of one network into another (a merge)."""

    def move(self, node_ids: Collection[UUID], to_network: UUID) -> None:
        """Stage moving some nodes into a network (a split)."""

    async def networks_of_agency(
        self, agency_id: UUID, *, order: str, limit: int
    ) -> list[NetworkSummary]:
        """Networks with a node of the agency, largest (`size`) or latest grown
        (`grown`) first, leaving out networks of one node."""
        ...


@dataclass(frozen=True, slots=True)
class NetworkSummary:
    state: NetworkState
    created_at: datetime
    grown_at: datetime
