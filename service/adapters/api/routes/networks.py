"""Case networks: a recovery's neighbourhood, the agency's networks, decisions on links."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import Query, Response

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.network_export import nodes_to_csv, to_csv, to_graphml, to_json
from service.adapters.api.problems import problem_responses
from service.adapters.api.routers import ApiRouter
from service.adapters.api.schemas.networks import (
    AgencyShare,
    Decision,
    LinkCreate,
    LinkOut,
    NetworkListOut,
    NetworkOut,
    NetworkSummaryOut,
    PathOut,
    link_out,
    network_out,
    path_out,
)
from service.case_networks import (
    MAX_DEPTH,
    MakeLink,
    agency_networks,
    decide_on_link,
    make_link,
    network_path,
    recovery_network,
)
from service.domain.access import Action
from service.domain.networks.links import LinkKind, LinkStatus

router = ApiRouter(tags=["networks"])


@router.get(
    "/api/v1/recoveries/{recovery_id}/network",
    responses=problem_responses(401, 403, 404, 422),
    openapi_extra=action(Action.NETWORK_READ),
)
async def read_recovery_network(
    recovery_id: UUID,
    deps: Deps,
    actor: CurrentActor,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 2,
    min_confidence: Annotated[float, Query(ge=0, le=1)] = 0.0,
    kinds: Annotated[list[LinkKind] | None, Query()] = None,
) -> NetworkOut:
    """The recovery's neighbourhood: nodes and links up to `depth` links away, bounded
    (`more` says how many were left out). Other agencies' nodes are counted, by agency,
    never shown."""
    view = await recovery_network(
        deps=deps,
        actor=actor,
        recovery_id=recovery_id,
        depth=depth,
        min_confidence=min_confidence,
        kinds=kinds,
    )
    return network_out(view)


@router.get(
    "/api/v1/recoveries/{recovery_id}/network/export",
    responses={
        200: {
            "content": {
                "application/graphml+xml": {},
                "text/csv": {},
                "application/json": {},
            },
            "description": "The neighbourhood, for Gephi, Cytoscape, networkx or a sheet",
        },
        **problem_responses(401, 403, 404, 422),
    },
    response_class=Response,
    openapi_extra=action(Action.NETWORK_READ),
)
async def export_recovery_network(
    recovery_id: UUID,
    deps: Deps,
    actor: CurrentActor,
    format: Literal["graphml", "json", "csv", "nodes_csv"] = "graphml",  # noqa: A002
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 2,
    min_confidence: Annotated[float, Query(ge=0, le=1)] = 0.0,
    kinds: Annotated[list[LinkKind] | None, Query()] = None,
) -> Response:
    """The same neighbourhood as `/network`, as GraphML, JSON, or CSV for a spreadsheet:
    `csv` lists the links with the kind and label of both ends, `nodes_csv` the nodes.
    Hidden nodes become one placeholder per owning agency."""
    view = network_out(
        await recovery_network(
            deps=deps,
            actor=actor,
            recovery_id=recovery_id,
            depth=depth,
            min_confidence=min_confidence,
            kinds=kinds,
        )
    )
    name = f"network-{recovery_id}"
    if format == "csv":
        body, media, suffix = to_csv(view), "text/csv", "csv"
    elif format == "nodes_csv":
        body, media, suffix = nodes_to_csv(view), "text/csv", "nodes.csv"
    elif format == "json":
        body, media, suffix = to_json(view), "application/json", "json"
    else:
        body, media, suffix = to_graphml(view), "application/graphml+xml", "graphml"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{suffix}"'},
    )


@router.get(
    "/api/v1/networks/path",
    responses=problem_responses(401, 403, 404, 422),
    openapi_extra=action(Action.NETWORK_READ),
)
async def read_path(
    deps: Deps,
    actor: CurrentActor,
    from_recovery: Annotated[UUID, Query(alias="from")],
    to_recovery: Annotated[UUID, Query(alias="to")],
) -> PathOut:
    """The shortest chain of links between two of your agency's recoveries, each link
    with its evidence (what another agency holds stays hidden, with its name)."""
    return path_out(
        await network_path(
            deps=deps, actor=actor, from_recovery=from_recovery, to_recovery=to_recovery
        )
    )


@router.get(
    "/api/v1/networks",
    responses=problem_responses(401, 403, 422),
    openapi_extra=action(Action.NETWORK_READ),
)
async def list_networks(
    deps: Deps,
    actor: CurrentActor,
    order: Literal["size", "grown"] = "size",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NetworkListOut:
    """Networks your agency's recoveries are part of: the largest, or the most recently
    grown, with the agencies and countries they span and when their recoveries were
    made. Sizes are kept as links are made, never counted per request."""
    listings = await agency_networks(deps=deps, actor=actor, order=order, limit=limit)
    return NetworkListOut(
        networks=[
            NetworkSummaryOut(
                id=n.id,
                size=n.size,
                created_at=n.created_at,
                grown_at=n.grown_at,
                agencies=[
                    AgencyShare(agency_id=a, name=name, nodes=c) for a, name, c in n.agencies
                ],
                shared_nodes=n.shared_nodes,
                countries=list(n.countries),
                first_recovered_at=n.first_at,
                last_recovered_at=n.last_at,
            )
            for n in listings
        ]
    )


@router.post(
    "/api/v1/network-links",
    status_code=201,
    responses=problem_responses(401, 403, 409, 422),
    openapi_extra=action(Action.NETWORK_DECIDE),
)
async def create_link(body: LinkCreate, deps: Deps, actor: CurrentActor) -> LinkOut:
    """Link two of your agency's recoveries yourself: your judgement (`manual`, with a
    rationale), a ballistic hit (`ballistic`, with its reference) or the same person
    (`same_person`). Confirmed from the start; the networks follow."""
    link = await make_link(
        deps=deps,
        actor=actor,
        command=MakeLink(
            kind=body.kind,
            from_recovery=body.from_recovery_id,
            to_recovery=body.to_recovery_id,
            rationale=body.rationale,
            reference=body.reference,
            confidence=body.confidence,
        ),
    )
    return link_out(link, {})


@router.post(
    "/api/v1/network-links/{link_id}/confirm",
    responses=problem_responses(401, 403, 404, 409, 422),
    openapi_extra=action(Action.NETWORK_DECIDE),
)
async def confirm_link(
    link_id: UUID, deps: Deps, actor: CurrentActor, decision: Decision | None = None
) -> LinkOut:
    """Agree with a link a rule made (or take back a rejection)."""
    decided = await decide_on_link(
        deps=deps,
        actor=actor,
        link_id=link_id,
        decision=LinkStatus.CONFIRMED,
        reason=decision.reason if decision else None,
    )
    return link_out(decided.link, decided.hidden_of)


@router.post(
    "/api/v1/network-links/{link_id}/reject",
    responses=problem_responses(401, 403, 404, 409, 422),
    openapi_extra=action(Action.NETWORK_DECIDE),
)
async def reject_link(
    link_id: UUID, deps: Deps, actor: CurrentActor, decision: Decision
) -> LinkOut:
    """Disagree with a link, saying why. It stays rejected when its rule fires again,
    and the network it held together splits if nothing else joins it."""
    decided = await decide_on_link(
        deps=deps,
        actor=actor,
        link_id=link_id,
        decision=LinkStatus.REJECTED,
        reason=decision.reason,
    )
    return link_out(decided.link, decided.hidden_of)
