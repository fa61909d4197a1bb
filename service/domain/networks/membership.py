"""Network membership: every node belongs to one network, the connected component of
the links that stand; how networks merge and split, and what a network spans."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from service.domain.networks.nodes import Node


def surviving_network(sizes: Mapping[UUID, int]) -> UUID:
    """When a link joins networks, the largest keeps its id (fewest nodes relabelled);
    ties go to the smallest id, so the outcome does not depend on the order of writes."""
    return min(sizes, key=lambda network_id: (-sizes[network_id], network_id))


@dataclass(frozen=True, slots=True)
class NetworkState:
    """What a network is made of, kept current as links merge and split networks, so
    that listing networks never walks or counts them: its size, its nodes per agency
    (None: shared nodes), the countries and the time span of its recoveries."""

    id: UUID
    size: int
    nodes_by_agency: Mapping[UUID | None, int] = field(default_factory=dict)
    countries: frozenset[str] = frozenset()
    first_at: datetime | None = None
    last_at: datetime | None = None

    @classmethod
    def of(cls, network_id: UUID, nodes: Iterable[Node]) -> NetworkState:
        counts: dict[UUID | None, int] = defaultdict(int)
        countries: set[str] = set()
        times: list[datetime] = []
        size = 0
        for node in nodes:
            size += 1
            counts[node.agency_id] += 1
            if node.country:
                countries.add(node.country)
            if node.occurred_at is not None:
                times.append(node.occurred_at)
        return cls(
            network_id,
            size,
            dict(counts),
            frozenset(countries),
            min(times, default=None),
            max(times, default=None),
        )

    def joined(self, other: NetworkState) -> NetworkState:
        """This network with another merged into it (it keeps this one's id)."""
        counts = dict(self.nodes_by_agency)
        for agency, count in other.nodes_by_agency.items():
            counts[agency] = counts.get(agency, 0) + count
        return NetworkState(
            self.id,
            self.size + other.size,
            counts,
            self.countries | other.countries,
            _earliest(self.first_at, other.first_at),
            _latest(self.last_at, other.last_at),
        )

    def without(self, part: NetworkState) -> NetworkState:
        """This network once `part` split off: size and counts exact; countries and time
        span as before until recounted (they can only have narrowed)."""
        counts = {
            agency: count - part.nodes_by_agency.get(agency, 0)
            for agency, count in self.nodes_by_agency.items()
        }
        return replace(
            self,
            size=self.size - part.size,
            nodes_by_agency={agency: count for agency, count in counts.items() if count > 0},
        )

    def emptied(self) -> NetworkState:
        return NetworkState(self.id, 0)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((t for t in (a, b) if t is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)
