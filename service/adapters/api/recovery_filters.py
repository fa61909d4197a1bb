"""The list's filters of recoveries, as query parameters: the listing and the export
take the same ones, read the same way, and refuse the same ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from service.adapters.api.dependencies import Deps
from service.adapters.api.problems import ProblemError
from service.adapters.moments import Moment
from service.domain.errors import InvalidValue
from service.domain.items import ItemKind
from service.domain.ports.recoveries import RecoveryFilter


def recovery_filter(
    deps: Deps,
    case_reference: Annotated[str | None, Query(max_length=64)] = None,
    country: Annotated[
        str | None,
        Query(min_length=2, max_length=2, description="ISO 3166-1 alpha-2, as recorded: FR"),
    ] = None,
    recovered_from: Annotated[Moment | None, Query(description="inclusive")] = None,
    recovered_to: Annotated[
        Moment | None, Query(description="exclusive; after recovered_from")
    ] = None,
    make: Annotated[str | None, Query(max_length=64, description="any spelling")] = None,
    calibre: Annotated[str | None, Query(max_length=64, description="any spelling")] = None,
    item_kind: ItemKind | None = None,
) -> RecoveryFilter:
    """Make and calibre accept any spelling the reference table knows, and match raw
    text otherwise. A filter that could find nothing, whatever is stored (a country
    recording refuses, a period ending where it starts), is a 422 on its parameter,
    not an empty list."""
    catalogue = deps.catalogue
    wanted = RecoveryFilter(
        case_reference=case_reference,
        country=country,
        recovered_from=recovered_from,
        recovered_to=recovered_to,
        make=(catalogue.resolve_make(make).canonical or make) if make else None,
        calibre=(catalogue.resolve_calibre(calibre).canonical or calibre) if calibre else None,
        item_kind=item_kind,
    )
    try:
        return wanted.check()
    except InvalidValue as refused:
        raise ProblemError.invalid_parameter(refused.field, refused.detail) from None


RecoveryFilterQuery = Annotated[RecoveryFilter, Depends(recovery_filter)]
