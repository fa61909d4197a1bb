"""Storing recoveries, finding their serials, and reporting unresolved spellings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from service.domain.geography import check_country
from service.domain.items import ItemKind
from service.domain.matching import SerialQuery, StoredIdentifier
from service.domain.moments import check_period
from service.domain.recovery import Recovery


@dataclass(frozen=True, slots=True)
class RecoveryFilter:
    """Filters of the recovery list; all given filters must hold."""

    case_reference: str | None = None
    country: str | None = None
    recovered_from: datetime | None = None
    recovered_to: datetime | None = None
    make: str | None = None
    calibre: str | None = None
    item_kind: ItemKind | None = None

    def check(self) -> RecoveryFilter:
        """The filter, if it can find anything: a country as recording takes it (an ISO
        code, upper case) and a period that ends after it starts; else InvalidValue
        naming the filter."""
        if self.country is not None:
            check_country(self.country, "country")
        check_period(
            self.recovered_from,
            self.recovered_to,
            start_field="recovered_from",
            end_field="recovered_to",
        )
        return self


@dataclass(frozen=True, slots=True)
class RecoveryCursor:
    """Position after which the next page starts: newest recovery first, id breaks ties."""

    recovered_at: datetime
    recovery_id: UUID


@dataclass(frozen=True, slots=True)
class RecoveryPage:
    recoveries: list[Recovery]
    next_cursor: RecoveryCursor | None


@dataclass(frozen=True, slots=True)
class CandidateBatch:
    candidates: list[StoredIdentifier]
    # More candidates existed than the cap allowed: a value that matches too much (a
    # serial "0000") is reported as truncated instead of flooding the investigator.
    truncated: bool


@dataclass(frozen=True, slots=True)
class UnresolvedValue:
    field: str
    raw: str
    count: int


class RecoveryRepository(Protocol):
    async def get(self, recovery_id: UUID, *, of_agency: UUID | None = None) -> Recovery | None:
        """The recovery with its correction history; with `of_agency`, only if it is
        that agency's (another agency's is found exactly as fast as none)."""
        ...

    def add(self, recovery: Recovery) -> None:
        """Stage a new recovery; written when the unit of work commits."""

    def save(self, recovery: Recovery) -> None:
        """Stage a corrected recovery loaded from this repository; the write fails with
        StaleVersion if someone else changed it since it was loaded."""

    async def page(
        self,
        *,
        agency_id: UUID,
        recovery_filter: RecoveryFilter,
        after: RecoveryCursor | None,
        limit: int,
    ) -> RecoveryPage: ...

    async def ids_after(self, after: UUID | None, *, limit: int) -> list[UUID]:
        """Every recovery's id, of every agency, in id order: for a rebuild."""
        ...

    async def get_many(self, recovery_ids: Sequence[UUID]) -> list[Recovery]:
        """Several recoveries at once, without their correction history; missing ids
        are left out."""
        ...


class SerialIndex(Protocol):
    async def candidates(
        self, query: SerialQuery, *, agency_id: UUID | None, cap: int
    ) -> CandidateBatch:
        """Stored readings of the agency (None: of every agency, for linking) that may
        match: a superset of the matches, found through the query's keys; the domain
        decides which really match."""
        ...

    async def candidates_many(
        self, queries: Sequence[SerialQuery], *, cap: int
    ) -> list[CandidateBatch]:
        """`candidates` of each query among every agency's readings, in query order, in
        one read where the storage allows: for linking a batch of recoveries."""
        ...


class ReferenceUsage(Protocol):
    async def unresolved(self, *, agency_id: UUID | None) -> list[UnresolvedValue]:
        """Raw makes and calibres stored without a canonical value, with their counts.
        None means every agency."""
        ...
