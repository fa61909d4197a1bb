"""Messages exchanged with other systems, versioned. Their JSON Schemas are published in
schemas/ (a test fails when the files and these models drift apart).

Readers are tolerant: unknown fields are ignored, so a peer may add fields in a minor
change; a missing or mistyped field is a broken message.
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.domain.registry import RegistryMatch, RegistryRecordReport

REGISTRY_SEARCH_V1: Final = "tracedesk.registry-search.v1"


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RegistryRecordMessage(Message):
    reference: str = Field(max_length=100)
    status: str = Field(max_length=16)
    serial: str = Field(max_length=64)
    make: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=64)
    calibre: str | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, max_length=2)
    recorded_on: date | None = None
    details: dict[str, str] = Field(default_factory=dict)

    def report(self) -> RegistryRecordReport:
        return RegistryRecordReport(
            reference=self.reference,
            status=self.status,
            serial=self.serial,
            make=self.make,
            model=self.model,
            calibre=self.calibre,
            country=self.country,
            recorded_on=self.recorded_on,
            details=self.details,
        )


class RegistryMatchMessage(Message):
    record: RegistryRecordMessage
    match_kind: str
    confidence: float


class RegistrySearchAnswer(Message):
    """The answer to GET /api/v1/registries/{name}/search."""

    schema_version: Literal["tracedesk.registry-search.v1"] = REGISTRY_SEARCH_V1
    registry: str
    matches: list[RegistryMatchMessage]


def registry_answer(registry: str, matches: list[RegistryMatch]) -> RegistrySearchAnswer:
    return RegistrySearchAnswer(
        registry=registry,
        matches=[
            RegistryMatchMessage(
                record=RegistryRecordMessage(
                    reference=m.record.reference,
                    status=m.record.status.value,
                    serial=m.record.identifier.raw,
                    make=m.record.make.raw if m.record.make else None,
                    model=m.record.model,
                    calibre=m.record.calibre.raw if m.record.calibre else None,
                    country=m.record.country,
                    recorded_on=m.record.recorded_on,
                    details=dict(m.record.details),
                ),
                match_kind=m.kind.value,
                confidence=m.confidence,
            )
            for m in matches
        ],
    )


# Every message a peer may receive from this instance, each with its versioned schema.
EXCHANGE_MESSAGES: Final[tuple[type[Message], ...]] = (RegistrySearchAnswer,)
