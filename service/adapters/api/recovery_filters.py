"""The list's filters of recoveries, as query parameters: the listing and the export
take the same ones, read the same way."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from service.adapters.api.dependencies import Deps
from service.adapters.moments import Moment
from service.domain.items import ItemKind
from service.domain.ports.recoveries import RecoveryFilter


def recovery_filter(
    deps: Deps,
    case_reference: Annotated[str | None, Query(max_length=64)] = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    recovered_from: Annotated[Moment | None, Query(description="inclusive")] = None,
    recovered_to: Annotated[Moment | None, Query(description="exclusive")] = None,
    make: Annotated[str | None, Query(max_length=64, description="any spelling")] = None,
    calibre: Annotated[str | None, Query(max_length=64, description="any spelling")] = None,
    item_kind: ItemKind | None = None,
) -> RecoveryFilter:
    """Make and calibre accept any spelling the reference table knows, and match raw
    text otherwise."""
    catalogue = deps.catalogue
    return RecoveryFilter(
        case_reference=case_reference,
        country=country,
        recovered_from=recovered_from,
        recovered_to=recovered_to,
        make=(catalogue.resolve_make(make).canonical or make) if make else None,
        calibre=(catalogue.resolve_calibre(calibre).canonical or calibre) if calibre else None,
        item_kind=item_kind,
    )


RecoveryFilterQuery = Annotated[RecoveryFilter, Depends(recovery_filter)]
