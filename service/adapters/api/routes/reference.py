"""The reference table of makes and calibres, and what it does not know yet."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.problems import problem_responses
from service.adapters.api.routers import ApiRouter
from service.domain.access import Action, authorize
from service.reference_report import unresolved_reference_values

router = ApiRouter(prefix="/api/v1/reference", tags=["reference"])


class CanonicalMakePublic(BaseModel):
    name: str
    country: str | None
    aliases: list[str]


class CanonicalCalibrePublic(BaseModel):
    name: str
    aliases: list[str]
    related: list[str]


class ReferenceCatalogue(BaseModel):
    version: str
    makes: list[CanonicalMakePublic]
    calibres: list[CanonicalCalibrePublic]


class UnresolvedValuePublic(BaseModel):
    field: str = Field(description="make or calibre")
    raw: str
    count: int


class UnresolvedReport(BaseModel):
    reference_version: str
    unresolved: list[UnresolvedValuePublic] = Field(description="Most frequent first")


@router.get(
    "/catalogue",
    responses=problem_responses(401, 403),
    openapi_extra=action(Action.REFERENCE_READ),
)
async def catalogue(deps: Deps, actor: CurrentActor) -> ReferenceCatalogue:
    """The canonical makes and calibres this instance resolves to, with their aliases."""
    authorize(actor, Action.REFERENCE_READ)
    table = deps.catalogue
    return ReferenceCatalogue(
        version=table.version,
        makes=[
            CanonicalMakePublic(name=m.name, country=m.country, aliases=list(m.aliases))
            for m in table.makes.values()
        ],
        calibres=[
            CanonicalCalibrePublic(name=c.name, aliases=list(c.aliases), related=list(c.related))
            for c in table.calibres.values()
        ],
    )


@router.get(
    "/unresolved",
    responses=problem_responses(401, 403),
    openapi_extra=action(Action.REFERENCE_REPORT),
)
async def unresolved(deps: Deps, actor: CurrentActor) -> UnresolvedReport:
    """Raw makes and calibres the reference table cannot resolve, with how often they
    occur: the aliases to add next. Nothing here was guessed."""
    values = await unresolved_reference_values(deps=deps, actor=actor)
    return UnresolvedReport(
        reference_version=deps.catalogue.version,
        unresolved=[UnresolvedValuePublic(field=v.field, raw=v.raw, count=v.count) for v in values],
    )
