"""Case networks: the agency's networks (what grew since the person last looked), a
recovery's neighbourhood as a graph with its evidence, decisions on links, the shortest
chain between two recoveries, and exports. What is shown of other agencies' records is
the API's allow-listed shape (service.adapters.api.schemas.networks), never more."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from service.adapters.api.network_export import nodes_to_csv, to_csv, to_graphml, to_json
from service.adapters.api.schemas.networks import LinkOut, NetworkOut, network_out, path_out
from service.adapters.console.dependencies import ConsoleDeps, Holder, PostedForm
from service.adapters.console.forms import form_text
from service.adapters.console.i18n import N_, ngettext_
from service.adapters.console.i18n import gettext_ as _
from service.adapters.console.labels import choices, label
from service.adapters.console.rendering import page
from service.case_networks import (
    MAX_DEPTH,
    agency_networks,
    decide_on_link,
    network_path,
    recovery_network,
)
from service.console_sessions import mark_networks_seen
from service.domain.access import Action, authorize
from service.domain.errors import InvalidValue, NotFound
from service.domain.networks.links import LinkKind, LinkStatus
from service.domain.ports.recoveries import RecoveryFilter
from service.recoveries import get_recovery, list_recoveries

router = APIRouter()
CONFIDENCES: Final = ("0", "0.5", "0.7", "0.9")


def _filters(depth: int, min_confidence: float, kinds: list[LinkKind]) -> dict[str, Any]:
    return {
        "depth": max(1, min(depth, MAX_DEPTH)),
        "min_confidence": max(0.0, min(min_confidence, 1.0)),
        "kinds": kinds or None,
    }


async def _view(
    deps: ConsoleDeps, holder: Holder, recovery_id: UUID, filters: dict[str, Any]
) -> NetworkOut:
    return network_out(
        await recovery_network(deps=deps, actor=holder.actor, recovery_id=recovery_id, **filters)
    )


def hidden_placeholder(agency_id: UUID | None) -> str:
    return f"hidden-{agency_id}" if agency_id else "hidden-shared"


def graph_elements(view: NetworkOut, start: UUID) -> dict[str, Any]:
    """The graph as the page's script draws it: seen nodes, one node per agency whose
    records are hidden (with how many), and links to those nodes."""
    nodes = [
        {
            "id": str(node.id),
            "label": node.label,
            "kind": node.kind.value,
            "kind_label": label(node.kind),
            "start": node.key == str(start),
        }
        for node in view.nodes
    ]
    for hidden in view.hidden:
        nodes.append(
            {
                "id": hidden_placeholder(hidden.agency_id),
                "label": ngettext_(
                    "%(num)s record of %(agency)s", "%(num)s records of %(agency)s", hidden.nodes
                )
                % {"num": hidden.nodes, "agency": hidden.agency_name},
                "kind": "hidden",
                "kind_label": _("Records you may not see"),
                "start": False,
            }
        )
    if view.hidden_shared:
        nodes.append(
            {
                "id": hidden_placeholder(None),
                "label": ngettext_(
                    "%(num)s shared record seen through other agencies",
                    "%(num)s shared records seen through other agencies",
                    view.hidden_shared,
                )
                % {"num": view.hidden_shared},
                "kind": "hidden",
                "kind_label": _("Records you may not see"),
                "start": False,
            }
        )
    known = {node["id"] for node in nodes}
    links = []
    for link in view.links:
        source, target = _end(link.source_id, link), _end(link.target_id, link)
        if source in known and target in known:
            links.append(
                {
                    "id": str(link.id),
                    "source": source,
                    "target": target,
                    "kind": link.kind.value,
                    "kind_label": label(link.kind),
                    "confidence": link.confidence,
                    "status": link.status.value,
                }
            )
    return {"nodes": nodes, "links": links}


def _end(end: UUID | None, link: LinkOut) -> str:
    return str(end) if end is not None else hidden_placeholder(link.hidden_agency_id)


@router.get("/networks")
async def networks(request: Request, deps: ConsoleDeps, holder: Holder) -> Response:
    listings = await agency_networks(deps=deps, actor=holder.actor, order="grown", limit=50)
    seen = holder.user.networks_seen_at
    newest = max((listing.grown_at for listing in listings), default=None)
    await mark_networks_seen(deps=deps, user=holder.user, newest_growth=newest)
    return page(request, "networks/list.html", {"networks": listings, "seen": seen})


@router.get("/recoveries/{recovery_id}/network")
async def recovery_graph(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    recovery_id: UUID,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 2,
    min_confidence: Annotated[float, Query(ge=0, le=1)] = 0.0,
    kinds: Annotated[list[LinkKind], Query()] = [],  # noqa: B006 - FastAPI's query list
) -> Response:
    filters = _filters(depth, min_confidence, kinds)
    recovery = await get_recovery(deps=deps, actor=holder.actor, recovery_id=recovery_id)
    try:
        view: NetworkOut | None = await _view(deps, holder, recovery_id, filters)
    except NotFound:
        view = None  # not linked yet
    query = f"depth={filters['depth']}&min_confidence={filters['min_confidence']}" + "".join(
        f"&kinds={kind.value}" for kind in kinds
    )
    nodes = {str(node.id): node for node in view.nodes} if view else {}
    return page(
        request,
        "networks/graph.html",
        {
            "recovery": recovery,
            "view": view,
            "nodes": nodes,
            "placeholders": {hidden_placeholder(h.agency_id): h for h in view.hidden}
            if view
            else {},
            "filters": filters,
            "chosen_kinds": {kind.value for kind in kinds},
            "link_kinds": choices(LinkKind),
            "confidences": CONFIDENCES,
            "query": query,
            "may_decide": holder.actor.may(Action.NETWORK_DECIDE),
        },
    )


@router.get("/recoveries/{recovery_id}/network.json")
async def graph_data(
    deps: ConsoleDeps,
    holder: Holder,
    recovery_id: UUID,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 2,
    min_confidence: Annotated[float, Query(ge=0, le=1)] = 0.0,
    kinds: Annotated[list[LinkKind], Query()] = [],  # noqa: B006
) -> Response:
    view = await _view(deps, holder, recovery_id, _filters(depth, min_confidence, kinds))
    return JSONResponse(graph_elements(view, recovery_id))


@router.get("/recoveries/{recovery_id}/network/links/{link_id}")
async def link_evidence(
    request: Request, deps: ConsoleDeps, holder: Holder, recovery_id: UUID, link_id: UUID
) -> Response:
    """One link of the recovery's neighbourhood with what may be shown of its evidence,
    and the decision buttons (an htmx fragment, or a page of its own without script)."""
    view = await _view(deps, holder, recovery_id, _filters(MAX_DEPTH, 0.0, []))
    link = next((found for found in view.links if found.id == link_id), None)
    if link is None:
        raise NotFound("link", str(link_id))
    nodes = {node.id: node for node in view.nodes}
    hidden = {h.agency_id: h.agency_name for h in view.hidden}
    return page(
        request,
        "networks/link.html",
        {
            "recovery_id": recovery_id,
            "link": link,
            "ends": [
                nodes.get(end) if end is not None else None
                for end in (link.source_id, link.target_id)
            ],
            "hidden_agency": hidden.get(link.hidden_agency_id) if link.hidden_agency_id else None,
            "may_decide": holder.actor.may(Action.NETWORK_DECIDE),
            "decisions": [LinkStatus.CONFIRMED.value, LinkStatus.REJECTED.value],
        },
        block="evidence",
    )


@router.post("/network-links/{link_id}/decision")
async def decide(
    request: Request, deps: ConsoleDeps, holder: Holder, form: PostedForm, link_id: UUID
) -> Response:
    decision = form_text(form, "decision")
    reason = form_text(form, "reason").strip() or None
    back = form_text(form, "recovery_id")
    if decision not in (LinkStatus.CONFIRMED.value, LinkStatus.REJECTED.value):
        raise InvalidValue("decision", N_("confirm or reject"))
    if decision == LinkStatus.REJECTED.value and reason is None:
        return RedirectResponse(
            f"/recoveries/{back}/network/links/{link_id}?reason_needed=1", status_code=303
        )
    await decide_on_link(
        deps=deps, actor=holder.actor, link_id=link_id, decision=LinkStatus(decision), reason=reason
    )
    try:
        target = f"/recoveries/{UUID(back)}/network"
    except ValueError:
        target = "/networks"
    return RedirectResponse(target, status_code=303)


@router.get("/recoveries/{recovery_id}/network/export")
async def export(
    deps: ConsoleDeps,
    holder: Holder,
    recovery_id: UUID,
    format: Literal["graphml", "json", "csv", "nodes_csv"] = "graphml",  # noqa: A002
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 2,
    min_confidence: Annotated[float, Query(ge=0, le=1)] = 0.0,
    kinds: Annotated[list[LinkKind], Query()] = [],  # noqa: B006
) -> Response:
    view = await _view(deps, holder, recovery_id, _filters(depth, min_confidence, kinds))
    body, media, suffix = {
        "csv": (to_csv, "text/csv", "csv"),
        "nodes_csv": (nodes_to_csv, "text/csv", "nodes.csv"),
        "json": (to_json, "application/json", "json"),
        "graphml": (to_graphml, "application/graphml+xml", "graphml"),
    }[format]
    return Response(
        body(view),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="network-{recovery_id}.{suffix}"'},
    )


@router.get("/recoveries/{recovery_id}/network/path")
async def path(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    recovery_id: UUID,
    to: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The shortest chain of links to another of the agency's recoveries, named by its
    case reference (or its id)."""
    authorize(holder.actor, Action.NETWORK_READ)
    await get_recovery(deps=deps, actor=holder.actor, recovery_id=recovery_id)
    candidates = await _recoveries_named(deps, holder, to.strip())
    found = None
    if len(candidates) == 1:
        found = path_out(
            await network_path(
                deps=deps,
                actor=holder.actor,
                from_recovery=recovery_id,
                to_recovery=candidates[0][0],
            )
        )
    return page(
        request,
        "networks/path.html",
        {"recovery_id": recovery_id, "to": to, "candidates": candidates, "path": found},
    )


async def _recoveries_named(
    deps: ConsoleDeps, holder: Holder, name: str
) -> list[tuple[UUID, str, str]]:
    if not name:
        return []
    try:
        return [(UUID(name), name, "")]
    except ValueError:
        pass
    found = await list_recoveries(
        deps=deps,
        actor=holder.actor,
        recovery_filter=RecoveryFilter(case_reference=name),
        after=None,
        limit=20,
    )
    return [(r.id, r.case_reference, r.location.description) for r in found.recoveries]
