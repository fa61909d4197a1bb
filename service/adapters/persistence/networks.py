"""The case networks in SQL: nodes, links and network sizes."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Row, Stage
from service.adapters.persistence.sql import Query, QueryShapes, Statement, one_of
from service.adapters.persistence.writes import InsertRows, UpdateRow
from service.domain.errors import Conflict
from service.domain.networks.links import Link, LinkKind, LinkStatus
from service.domain.networks.membership import NetworkState
from service.domain.networks.nodes import MAX_LABEL, Node, NodeKind, NodeRef
from service.domain.ports.networks import NetworkSummary

_N, _L, _W = tables.network_nodes, tables.network_links, tables.networks


def _nodes_by_key(dialect: str) -> Statement:
    # Both columns of the unique (kind, key) index, so it is the one used.
    return sa.select(_N).where(
        one_of(_N.c.kind, "kinds", dialect), one_of(_N.c.key, "keys", dialect)
    )


def _nodes_by_id(dialect: str) -> Statement:
    return sa.select(_N).where(one_of(_N.c.id, "ids", dialect))


def _links_touching(dialect: str, shape: frozenset[str]) -> Statement:
    # Two index lookups (one per end) rather than an OR the planner may scan for.
    ends = [
        sa.select(_L).where(one_of(column, "ids", dialect))
        for column in (_L.c.source_id, _L.c.target_id)
    ]
    touching = sa.union(*ends).subquery("touching")
    statement = sa.select(touching)
    if "standing" in shape:
        statement = statement.where(one_of(touching.c.status, "statuses", dialect))
    if "min_confidence" in shape:
        statement = statement.where(
            touching.c.confidence >= sa.bindparam("min_confidence", type_=sa.Float())
        )
    if "kinds" in shape:
        statement = statement.where(one_of(touching.c.kind, "kinds", dialect))
    return statement.order_by(touching.c.id)


def _adjacent(dialect: str, shape: frozenset[str]) -> Statement:
    ends = [
        sa.select(_L.c.id, _L.c.source_id, _L.c.target_id, _L.c.confidence, _L.c.kind).where(
            one_of(column, "ids", dialect), one_of(_L.c.status, "statuses", dialect)
        )
        for column in (_L.c.source_id, _L.c.target_id)
    ]
    # UNION ALL: a link with both ends in the frontier comes twice, which the walk
    # tolerates, instead of a sort or hash of every row to drop it.
    touching = sa.union_all(*ends).subquery("touching")
    statement = sa.select(touching.c.id, touching.c.source_id, touching.c.target_id)
    if "min_confidence" in shape:
        statement = statement.where(
            touching.c.confidence >= sa.bindparam("min_confidence", type_=sa.Float())
        )
    if "kinds" in shape:
        statement = statement.where(one_of(touching.c.kind, "kinds", dialect))
    return statement


def _links_by_id(dialect: str) -> Statement:
    return sa.select(_L).where(one_of(_L.c.id, "ids", dialect)).order_by(_L.c.id)


def _states(dialect: str) -> Statement:
    return sa.select(_W).where(one_of(_W.c.id, "ids", dialect))


def _of_agency(_: str, shape: frozenset[str]) -> Statement:
    member = sa.select(_N.c.network_id).where(_N.c.agency_id == sa.bindparam("agency_id"))
    order = (_W.c.grown_at.desc(), _W.c.id) if "grown" in shape else (_W.c.size.desc(), _W.c.id)
    return (
        sa.select(_W)
        .where(_W.c.size > 1, _W.c.id.in_(member.scalar_subquery()))
        .order_by(*order)
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


def _profile(_: str) -> Statement:
    return (
        sa.select(
            _N.c.agency_id,
            sa.func.count().label("nodes"),
            sa.func.min(_N.c.occurred_at).label("first_at"),
            sa.func.max(_N.c.occurred_at).label("last_at"),
        )
        .where(_N.c.network_id == sa.bindparam("network_id", type_=sa.Uuid()))
        .group_by(_N.c.agency_id)
    )


def _countries(_: str) -> Statement:
    return (
        sa.select(_N.c.country)
        .where(
            _N.c.network_id == sa.bindparam("network_id", type_=sa.Uuid()),
            _N.c.country.is_not(None),
        )
        .distinct()
    )


_NODES_BY_KEY = Query(_nodes_by_key)
_NODES_BY_ID = Query(_nodes_by_id)
_LINKS_TOUCHING = QueryShapes(_links_touching)
_RULES = Query(lambda _: sa.select(tables.network_rules.c.rules))
_ANY_NODE = Query(lambda _: sa.select(_N.c.id).limit(1))
_LINK = Query(lambda _: sa.select(_L).where(_L.c.id == sa.bindparam("id", type_=sa.Uuid())))
_ADJACENT = QueryShapes(_adjacent)
_LINKS_BY_ID = Query(_links_by_id)
_STATES = Query(_states)
_OF_AGENCY = QueryShapes(_of_agency)
_PROFILE = Query(_profile)
_COUNTRIES = Query(_countries)


class SqlNetworkGraph:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    async def nodes(self, refs: Sequence[NodeRef]) -> dict[NodeRef, Node]:
        if not refs:
            return {}
        wanted = set(refs)
        rows = await (await self._connect()).fetch(
            _NODES_BY_KEY,
            kinds=sorted({r.kind.value for r in refs}),
            keys=sorted({r.key for r in refs}),
        )
        found = (_node(row) for row in rows)
        return {node.ref: node for node in found if node.ref in wanted}

    async def nodes_by_id(self, node_ids: Collection[UUID]) -> dict[UUID, Node]:
        if not node_ids:
            return {}
        rows = await (await self._connect()).fetch(_NODES_BY_ID, ids=list(node_ids))
        return {row["id"]: _node(row) for row in rows}

    def add_node(self, node: Node) -> None:
        self._stage(
            [
                InsertRows(
                    _N,
                    [
                        {
                            "id": node.id,
                            "kind": node.ref.kind.value,
                            "key": node.ref.key,
                            "agency_id": node.agency_id,
                            "label": node.label[:MAX_LABEL],
                            "network_id": node.network_id,
                            "created_at": node.created_at,
                            "occurred_at": node.occurred_at,
                            "country": node.country,
                        }
                    ],
                )
            ]
        )

    def describe_node(self, node: Node) -> None:
        self._stage(
            [
                UpdateRow(
                    _N,
                    key={"id": node.id},
                    values={
                        "label": node.label[:MAX_LABEL],
                        "occurred_at": node.occurred_at,
                        "country": node.country,
                    },
                )
            ]
        )

    async def links_touching(
        self,
        node_ids: Collection[UUID],
        *,
        standing_only: bool = False,
        min_confidence: float = 0.0,
        kinds: Collection[LinkKind] | None = None,
    ) -> list[Link]:
        if not node_ids:
            return []
        parameters: dict[str, Any] = {"ids": list(node_ids)}
        if standing_only:
            parameters["statuses"] = [LinkStatus.PROPOSED.value, LinkStatus.CONFIRMED.value]
        if min_confidence > 0:
            parameters["min_confidence"] = min_confidence
        if kinds is not None:
            parameters["kinds"] = sorted(k.value for k in kinds)
        shape = frozenset(parameters) - {"ids", "statuses"} | (
            {"standing"} if standing_only else set()
        )
        rows = await (await self._connect()).fetch(_LINKS_TOUCHING[shape], **parameters)
        return [_link(row) for row in rows]

    async def link(self, link_id: UUID) -> Link | None:
        rows = await (await self._connect()).fetch(_LINK, id=link_id)
        return _link(rows[0]) if rows else None

    def add_link(self, link: Link) -> None:
        self._stage([InsertRows(_L, [_link_values(link)])])

    def update_link(self, link: Link) -> None:
        values = _link_values(link)
        changed = (
            "status",
            "confidence",
            "evidence",
            "rule",
            "rule_version",
            "decided_by",
            "decided_at",
            "decision_reason",
        )
        self._stage(
            [UpdateRow(_L, key={"id": link.id}, values={name: values[name] for name in changed})]
        )

    async def adjacent(
        self,
        node_ids: Collection[UUID],
        *,
        min_confidence: float = 0.0,
        kinds: Collection[LinkKind] | None = None,
    ) -> list[tuple[UUID, UUID, UUID]]:
        if not node_ids:
            return []
        parameters: dict[str, Any] = {
            "ids": list(node_ids),
            "statuses": [LinkStatus.PROPOSED.value, LinkStatus.CONFIRMED.value],
        }
        if min_confidence > 0:
            parameters["min_confidence"] = min_confidence
        if kinds is not None:
            parameters["kinds"] = sorted(k.value for k in kinds)
        shape = frozenset(parameters) - {"ids", "statuses"}
        rows = await (await self._connect()).fetch(_ADJACENT[shape], **parameters)
        return [(row["id"], row["source_id"], row["target_id"]) for row in rows]

    async def links_by_id(self, link_ids: Collection[UUID]) -> list[Link]:
        if not link_ids:
            return []
        rows = await (await self._connect()).fetch(_LINKS_BY_ID, ids=list(link_ids))
        return [_link(row) for row in rows]

    async def network_states(self, network_ids: Collection[UUID]) -> dict[UUID, NetworkState]:
        if not network_ids:
            return {}
        rows = await (await self._connect()).fetch(_STATES, ids=list(network_ids))
        return {row["id"]: _state(row) for row in rows}

    def save_network(self, state: NetworkState, *, at: datetime, new: bool) -> None:
        values = {
            "size": state.size,
            "grown_at": at,
            "nodes_by_agency": {_agency_key(a): n for a, n in state.nodes_by_agency.items()},
            "countries": sorted(state.countries),
            "first_at": state.first_at,
            "last_at": state.last_at,
        }
        if new:
            self._stage([InsertRows(_W, [{"id": state.id, "created_at": at, **values}])])
            return
        self._stage([UpdateRow(_W, key={"id": state.id}, values=values)])

    async def rules_applied(self) -> str | None:
        rows = await (await self._connect()).fetch(_RULES)
        return rows[0]["rules"] if rows else None

    async def has_nodes(self) -> bool:
        return bool(await (await self._connect()).fetch(_ANY_NODE))

    def record_rules(self, rules: str, *, replacing: str | None, at: datetime) -> None:
        self._stage(
            [
                UpdateRow(
                    tables.network_rules,
                    key={"id": 1},
                    values={"rules": rules, "changed_at": at},
                    expected={} if replacing is None else {"rules": replacing},
                    still_null=("rules",) if replacing is None else (),
                    when_missing=lambda: Conflict("the linking rules changed meanwhile"),
                )
            ]
        )

    async def counted_state(self, network_id: UUID) -> NetworkState:
        connection = await self._connect()
        rows = await connection.fetch(_PROFILE, network_id=network_id)
        countries = await connection.fetch(_COUNTRIES, network_id=network_id)
        firsts = [row["first_at"] for row in rows if row["first_at"] is not None]
        lasts = [row["last_at"] for row in rows if row["last_at"] is not None]
        counts = {row["agency_id"]: row["nodes"] for row in rows}
        return NetworkState(
            id=network_id,
            size=sum(counts.values()),
            nodes_by_agency=counts,
            countries=frozenset(row["country"] for row in countries),
            first_at=min(firsts, default=None),
            last_at=max(lasts, default=None),
        )

    def relabel(self, from_network: UUID, to_network: UUID) -> None:
        self._stage(
            [
                UpdateRow(
                    _N,
                    key={"network_id": from_network},
                    values={"network_id": to_network},
                    single=False,
                )
            ]
        )

    def move(self, node_ids: Collection[UUID], to_network: UUID) -> None:
        self._stage(
            [
                UpdateRow(_N, key={"id": node_id}, values={"network_id": to_network})
                for node_id in sorted(node_ids)
            ]
        )

    async def networks_of_agency(
        self, agency_id: UUID, *, order: str, limit: int
    ) -> list[NetworkSummary]:
        shape = frozenset({"grown"} if order == "grown" else set())
        rows = await (await self._connect()).fetch(
            _OF_AGENCY[shape], agency_id=agency_id, limit=limit
        )
        return [NetworkSummary(_state(row), row["created_at"], row["grown_at"]) for row in rows]


def _agency_key(agency: UUID | None) -> str:
    return str(agency) if agency is not None else "shared"


def _state(row: Row) -> NetworkState:
    counts = row["nodes_by_agency"]
    counts = json.loads(counts) if isinstance(counts, str) else counts
    countries = row["countries"]
    countries = json.loads(countries) if isinstance(countries, str) else countries
    return NetworkState(
        id=row["id"],
        size=row["size"],
        nodes_by_agency={
            (None if key == "shared" else UUID(key)): count for key, count in counts.items()
        },
        countries=frozenset(countries),
        first_at=row["first_at"],
        last_at=row["last_at"],
    )


def _node(row: Row) -> Node:
    return Node(
        id=row["id"],
        ref=NodeRef(NodeKind(row["kind"]), row["key"]),
        agency_id=row["agency_id"],
        label=row["label"],
        network_id=row["network_id"],
        created_at=row["created_at"],
        occurred_at=row["occurred_at"],
        country=row["country"],
    )


def _link(row: Row) -> Link:
    evidence = row["evidence"]
    return Link(
        id=row["id"],
        kind=LinkKind(row["kind"]),
        source_id=row["source_id"],
        target_id=row["target_id"],
        confidence=row["confidence"],
        status=LinkStatus(row["status"]),
        created_at=row["created_at"],
        rule=row["rule"],
        rule_version=row["rule_version"],
        created_by=row["created_by"],
        evidence=json.loads(evidence) if isinstance(evidence, str) else evidence,
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        decision_reason=row["decision_reason"],
    )


def _link_values(link: Link) -> dict[str, Any]:
    return {
        "id": link.id,
        "kind": link.kind.value,
        "source_id": link.source_id,
        "target_id": link.target_id,
        "confidence": link.confidence,
        "status": link.status.value,
        "created_at": link.created_at,
        "rule": link.rule,
        "rule_version": link.rule_version,
        "created_by": link.created_by,
        "evidence": dict(link.evidence),
        "decided_by": link.decided_by,
        "decided_at": link.decided_at,
        "decision_reason": link.decision_reason,
    }
