"""The public shape of serial search results."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from service.domain.items import IdentifierRole, ItemKind
from service.domain.matching import MatchKind, SerialMatch


class SerialMatchPublic(BaseModel):
    recovery_id: UUID
    item_id: UUID
    item_kind: ItemKind
    identifier_role: IdentifierRole = Field(description="serial, or lot for ammunition/components")
    serial: str = Field(description="The stored reading, verbatim")
    serial_normalized: str
    make: str | None
    make_canonical: str | None
    model: str | None
    calibre: str | None
    calibre_canonical: str | None
    recovered_at: datetime
    case_reference: str
    match_kind: MatchKind = Field(
        description="How the serial matched, strongest first: exact, normalized, padding, "
        "skeleton, transliterated, edit, pattern"
    )
    confidence: float = Field(
        ge=0, le=1, description="The kind's confidence, raised or lowered by make, model, calibre"
    )


class SerialSearchResponse(BaseModel):
    matches: list[SerialMatchPublic] = Field(description="Most trustworthy first")
    truncated: bool = Field(
        description="The answer was cut: more items matched than were returned, or a "
        "pattern's lookup reached its bound (raise `limit`, add make, model or calibre, "
        "or read more characters)"
    )


def match_public(match: SerialMatch) -> SerialMatchPublic:
    c = match.candidate
    return SerialMatchPublic(
        recovery_id=c.recovery_id,
        item_id=c.item_id,
        item_kind=c.item_kind,
        identifier_role=c.role,
        serial=c.identifier.raw,
        serial_normalized=c.identifier.normalized,
        make=c.make.raw if c.make else None,
        make_canonical=c.make.canonical if c.make else None,
        model=c.model,
        calibre=c.calibre.raw if c.calibre else None,
        calibre_canonical=c.calibre.canonical if c.calibre else None,
        recovered_at=c.recovered_at,
        case_reference=c.case_reference,
        match_kind=match.kind,
        confidence=match.confidence,
    )
