"""The item a trace request is about, as the request carries it: frozen when the
request was made, so that later corrections of the recovery do not change what was asked."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from service.domain.errors import InvalidValue
from service.domain.items import Item
from service.domain.recovery import Recovery


@dataclass(frozen=True, slots=True)
class TracedItem:
    """The item as the request carries it, frozen when the request was made: its
    identifiers and markings (raw, with what was derived from them) and the facts of the
    recovery a responder needs (when, in which country, in what circumstances)."""

    recovery_id: UUID
    item_id: UUID
    recovered_at: datetime
    recovery_country: str
    circumstances: str
    description: Mapping[str, Any]

    @classmethod
    def of(cls, recovery: Recovery, item_id: UUID) -> TracedItem:
        item = next((i for i in recovery.items if i.id == item_id), None)
        if item is None:
            raise InvalidValue("item_id", "is not an item of this recovery")
        return cls(
            recovery_id=recovery.id,
            item_id=item.id,
            recovered_at=recovery.recovered_at,
            recovery_country=recovery.location.country,
            circumstances=recovery.circumstances.value,
            description=describe(item),
        )

    @property
    def recovered_on(self) -> date:
        return self.recovered_at.astimezone(UTC).date()


def describe(item: Item) -> dict[str, Any]:
    """An item's identifying data as plain JSON values: every raw value entered, plus the
    canonical make and calibre and the normalized serial or lot."""
    description: dict[str, Any] = {"kind": item.kind.value}
    description.update(
        (name, value) for name, value in _plain(dataclasses.asdict(item.report())).items()
    )
    make, calibre = item.make, item.calibre
    if make is not None and make.canonical:
        key = "manufacturer_canonical" if "manufacturer" in description else "make_canonical"
        description[key] = make.canonical
    if calibre is not None and calibre.canonical:
        description["calibre_canonical"] = calibre.canonical
    for role, identifier in item.identifiers():
        description[f"{role.value}_normalized"] = identifier.normalized
    return {name: value for name, value in description.items() if value is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, StrEnum):
        return value.value
    return value
