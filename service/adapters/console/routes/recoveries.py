"""Recoveries: the agency's list with the API's filters, one recovery's whole file (with
the photos of its items and the forms to attach more), and the serial matches shown
while an officer types a serial."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Final
from urllib.parse import urlencode
from uuid import UUID

from babel.units import format_unit
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from service.adapters.api.schemas.recoveries import recovery_public
from service.adapters.console import i18n
from service.adapters.console.dependencies import ConsoleDeps, Holder
from service.adapters.console.forms import problems_by_field
from service.adapters.console.i18n import N_, ngettext_, number
from service.adapters.console.labels import choices, countries, field_label
from service.adapters.console.rendering import page
from service.adapters.cursors import decode_cursor, encode_cursor
from service.console_sessions import SessionHolder
from service.dependencies import Dependencies
from service.domain.access import Action
from service.domain.errors import InvalidValue
from service.domain.items import ItemKind
from service.domain.moments import as_utc
from service.domain.networks.nodes import recovery_ref
from service.domain.photos import ItemPhoto
from service.domain.ports.recoveries import RecoveryCursor, RecoveryFilter
from service.recoveries import list_recoveries
from service.recovery_file import recovery_file
from service.registry_search import search_registry
from service.serial_search import search_serials

router = APIRouter()
PAGE_SIZE: Final = 25
SUGGESTIONS: Final = 8
# The fields of an item the serial matches are looked up by, and the longest value of
# each the search takes (as the API's GET /api/v1/search/serials does).
SEARCHED: Final = ("serial", "make", "model", "calibre")
MAX_SEARCHED: Final = 64


def _day(text: str | None, field: str) -> datetime | None:
    """A day typed in a date field, as the start of that day in the reader's zone."""
    if not text:
        return None
    try:
        day = datetime.fromisoformat(text).date()
    except ValueError:
        raise InvalidValue(field, N_("must be a date, e.g. 2026-11-28")) from None
    return as_utc(datetime.combine(day, time(), tzinfo=i18n.reading().time_zone), field)


@router.get("/recoveries")
async def recoveries(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    case_reference: Annotated[str, Query(max_length=64)] = "",
    country: Annotated[str, Query(max_length=2)] = "",
    recovered_from: Annotated[str, Query(max_length=10)] = "",
    recovered_to: Annotated[str, Query(max_length=10)] = "",
    make: Annotated[str, Query(max_length=64)] = "",
    calibre: Annotated[str, Query(max_length=64)] = "",
    item_kind: Annotated[str, Query(max_length=16)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    filters = {
        "case_reference": case_reference,
        "country": country,
        "recovered_from": recovered_from,
        "recovered_to": recovered_to,
        "make": make,
        "calibre": calibre,
        "item_kind": item_kind,
    }
    errors: dict[str, str] = {}
    listed, next_cursor = [], None
    try:
        after = RecoveryCursor(*decode_cursor(cursor)) if cursor else None
        kind = ItemKind(item_kind) if item_kind in {k.value for k in ItemKind} else None
        catalogue = deps.catalogue
        found = await list_recoveries(
            deps=deps,
            actor=holder.actor,
            recovery_filter=RecoveryFilter(
                case_reference=case_reference.strip() or None,
                country=country or None,
                recovered_from=_day(recovered_from, "recovered_from"),
                recovered_to=_day(recovered_to, "recovered_to"),
                make=(catalogue.resolve_make(make).canonical or make) if make.strip() else None,
                calibre=(catalogue.resolve_calibre(calibre).canonical or calibre)
                if calibre.strip()
                else None,
                item_kind=kind,
            ),
            after=after,
            limit=PAGE_SIZE,
        )
        listed = [recovery_public(r) for r in found.recoveries]
        if found.next_cursor:
            next_cursor = encode_cursor(
                found.next_cursor.recovered_at, found.next_cursor.recovery_id
            )
    except InvalidValue as refused:
        errors = problems_by_field([refused])
    query = urlencode({name: value for name, value in filters.items() if value})
    return page(
        request,
        "recoveries/list.html",
        {
            "filters": filters,
            "errors": errors,
            "recoveries": listed,
            "next_cursor": next_cursor,
            "query": query,
            "first_page": not cursor,
            "countries": countries(),
            "item_kinds": choices(ItemKind),
            "may_record": holder.actor.may(Action.RECOVERY_RECORD),
        },
        block="results",
        status_code=422 if errors else 200,
    )


@router.get("/recoveries/{recovery_id}")
async def recovery(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    recovery_id: UUID,
    recorded: bool = False,
    photo_attached: bool = False,
) -> Response:
    return await recovery_page(
        request, deps, holder, recovery_id, recorded=recorded, photo_attached=photo_attached
    )


async def recovery_page(
    request: Request,
    deps: Dependencies,
    holder: SessionHolder,
    recovery_id: UUID,
    *,
    recorded: bool = False,
    photo_attached: bool = False,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """A recovery's whole file; with the problems of a photo that could not be attached
    beside its form (their fields are named after the item: `item-<id>-photo`)."""
    found = await recovery_file(deps=deps, actor=holder.actor, recovery_id=recovery_id)
    public = recovery_public(found.recovery)
    links = []
    if found.network is not None:
        nodes = {node.id: node for node in found.network.nodes}
        start = next(
            (n.id for n in found.network.nodes if n.ref == recovery_ref(recovery_id)), None
        )
        agencies = {h.agency_id: h.agency_name for h in found.network.hidden}
        for link in found.network.links:
            other = link.target_id if link.source_id == start else link.source_id
            if other in nodes:
                links.append((link, nodes[other].ref.kind.value, nodes[other].label))
            else:
                owner = found.network.hidden_of.get(other)
                links.append((link, "hidden", agencies.get(owner, "") if owner else ""))
    photos: dict[UUID, list[ItemPhoto]] = {}
    for photo in found.photos:
        photos.setdefault(photo.item_id, []).append(photo)
    return page(
        request,
        "recoveries/detail.html",
        {
            "file": found,
            "recovery": public,
            "links": links,
            "recorded": recorded,
            "photo_attached": photo_attached,
            "photos": photos,
            "photo_limit": format_unit(
                deps.photo_rules.max_bytes / 1024**2,
                "digital-megabyte",
                length="short",
                locale=i18n.reading().locale,
            ),
            "errors": errors or {},
            "values": values or {},
            "may_correct": holder.actor.may(Action.RECOVERY_CORRECT),
            "may_trace": holder.actor.may(Action.TRACE_REQUEST),
        },
        status_code=status_code,
    )


@router.get("/serial-matches")
async def serial_matches(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    field: Annotated[str, Query(pattern=r"^items-\d{1,4}$")],
) -> Response:
    """What is already known of the serial being typed in one item of the form: the
    agency's recorded items, and the registries' records, however it was read."""
    typed = {name: request.query_params.get(f"{field}-{name}", "") for name in SEARCHED}
    serial = typed["serial"]
    make, model, calibre = (typed[name] or None for name in ("make", "model", "calibre"))
    context: dict[str, object] = {
        "field": field,
        "serial": serial,
        "matches": [],
        "listed": [],
        "truncated": False,
        "refusal": _too_long(typed),
    }
    # A value the search would refuse is said so, never cut and searched: a cut serial
    # matches items that are not the one typed.
    if context["refusal"] is None and (
        len(serial.strip()) >= 3 and holder.actor.may(Action.SERIAL_SEARCH)
    ):
        try:
            found = await search_serials(
                deps=deps,
                actor=holder.actor,
                serial=serial,
                make=make,
                model=model,
                calibre=calibre,
                limit=SUGGESTIONS,
            )
            context["matches"] = found.matches
            context["truncated"] = found.truncated
            if holder.actor.may(Action.REGISTRY_SEARCH):
                context["listed"] = [
                    (name, match)
                    for name in sorted(deps.registries)
                    for match in (
                        await search_registry(
                            deps=deps,
                            actor=holder.actor,
                            registry=name,
                            serial=serial,
                            make=make,
                            model=model,
                            calibre=calibre,
                        )
                    )[:SUGGESTIONS]
                ]
        except InvalidValue as refused:
            context["refusal"] = refused.detail
    return page(request, "recoveries/serial_matches.html", context)


def _too_long(typed: dict[str, str]) -> str | None:
    """What is wrong with the values longer than the serial search takes (the API's
    limit), each named as its field is; None when every one fits."""
    most = ngettext_(
        "Enter at most %(num)s character", "Enter at most %(num)s characters", MAX_SEARCHED
    ) % {"num": number(MAX_SEARCHED)}
    over = [name for name, value in typed.items() if len(value) > MAX_SEARCHED]
    return "; ".join(f"{field_label(name)}: {most}" for name in over) or None
