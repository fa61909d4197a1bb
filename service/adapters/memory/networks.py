"""The case networks in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore
from service.domain.errors import Conflict
from service.domain.networks.links import Link, LinkKind
from service.domain.networks.membership import NetworkState
from service.domain.networks.nodes import Node, NodeRef
from service.domain.ports.networks import NetworkSummary


class InMemoryNetworkGraph:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging
        self._made_here: set[UUID] = set()

    async def nodes(self, refs: Sequence[NodeRef]) -> dict[NodeRef, Node]:
        wanted = set(refs)
        return {n.ref: n for n in self._store.network_nodes.values() if n.ref in wanted}

    async def nodes_by_id(self, node_ids: Collection[UUID]) -> dict[UUID, Node]:
        return {i: self._store.network_nodes[i] for i in node_ids if i in self._store.network_nodes}

    def add_node(self, node: Node) -> None:
        self._staging.write(lambda: self._store.network_nodes.__setitem__(node.id, node))

    def describe_node(self, node: Node) -> None:
        def describe() -> None:
            stored = self._store.network_nodes[node.id]
            self._store.network_nodes[node.id] = dataclasses.replace(
                stored, label=node.label, occurred_at=node.occurred_at, country=node.country
            )

        self._staging.write(describe)

    async def links_touching(
        self,
        node_ids: Collection[UUID],
        *,
        standing_only: bool = False,
        min_confidence: float = 0.0,
        kinds: Collection[LinkKind] | None = None,
    ) -> list[Link]:
        ends = set(node_ids)
        return sorted(
            (
                link
                for link in self._store.network_links.values()
                if (link.source_id in ends or link.target_id in ends)
                and (link.standing or not standing_only)
                and link.confidence >= min_confidence
                and (kinds is None or link.kind in kinds)
            ),
            key=lambda link: link.id,
        )

    async def link(self, link_id: UUID) -> Link | None:
        return self._store.network_links.get(link_id)

    def add_link(self, link: Link) -> None:
        def not_linked() -> None:
            if any(other.key == link.key for other in self._store.network_links.values()):
                raise Conflict(f"a {link.kind.value} link between these nodes exists already")

        self._staging.check(not_linked)
        self._staging.write(lambda: self._store.network_links.__setitem__(link.id, link))

    def update_link(self, link: Link) -> None:
        self._staging.write(lambda: self._store.network_links.__setitem__(link.id, link))

    async def rules_applied(self) -> str | None:
        return self._store.network_rules

    async def has_nodes(self) -> bool:
        return bool(self._store.network_nodes)

    def record_rules(self, rules: str, *, replacing: str | None, at: datetime) -> None:
        def as_read() -> None:
            if self._store.network_rules != replacing:
                raise Conflict("the linking rules changed meanwhile")

        def keep() -> None:
            self._store.network_rules = rules

        self._staging.check(as_read)
        self._staging.write(keep)

    async def adjacent(
        self,
        node_ids: Collection[UUID],
        *,
        min_confidence: float = 0.0,
        kinds: Collection[LinkKind] | None = None,
    ) -> list[tuple[UUID, UUID, UUID]]:
        found = await self.links_touching(
            node_ids, standing_only=True, min_confidence=min_confidence, kinds=kinds
        )
        return [(link.id, link.source_id, link.target_id) for link in found]

    async def links_by_id(self, link_ids: Collection[UUID]) -> list[Link]:
        wanted = set(link_ids)
        return sorted(
            (link for link in self._store.network_links.values() if link.id in wanted),
            key=lambda link: link.id,
        )

    async def network_states(self, network_ids: Collection[UUID]) -> dict[UUID, NetworkState]:
        return {i: self._store.networks[i][0] for i in network_ids if i in self._store.networks}

    def save_network(self, state: NetworkState, *, at: datetime, new: bool) -> None:
        if new:
            self._made_here.add(state.id)
        else:
            # As in SQL, an update needs its row: stored, or made in this unit of work.
            def stored() -> None:
                if state.id not in self._store.networks and state.id not in self._made_here:
                    raise LookupError("row not found")

            self._staging.check(stored)

        def save() -> None:
            _, created, _ = self._store.networks.get(state.id, (state, at, at))
            self._store.networks[state.id] = (state, created, at)

        self._staging.write(save)

    async def counted_state(self, network_id: UUID) -> NetworkState:
        members = [n for n in self._store.network_nodes.values() if n.network_id == network_id]
        return NetworkState.of(network_id, members)

    def relabel(self, from_network: UUID, to_network: UUID) -> None:
        def move() -> None:
            for node in list(self._store.network_nodes.values()):
                if node.network_id == from_network:
                    self._store.network_nodes[node.id] = dataclasses.replace(
                        node, network_id=to_network
                    )

        self._staging.write(move)

    def move(self, node_ids: Collection[UUID], to_network: UUID) -> None:
        moving = set(node_ids)

        def move() -> None:
            for node_id in moving:
                node = self._store.network_nodes[node_id]
                self._store.network_nodes[node_id] = dataclasses.replace(
                    node, network_id=to_network
                )

        self._staging.write(move)

    async def networks_of_agency(
        self, agency_id: UUID, *, order: str, limit: int
    ) -> list[NetworkSummary]:
        ids = {n.network_id for n in self._store.network_nodes.values() if n.agency_id == agency_id}
        found = [
            NetworkSummary(*self._store.networks[i])
            for i in ids
            if self._store.networks[i][0].size > 1
        ]
        if order == "grown":
            found.sort(key=lambda n: (n.grown_at, n.state.id), reverse=True)
        else:
            found.sort(key=lambda n: (-n.state.size, n.state.id))
        return found[:limit]
