"""A registry held in memory, loaded from a file: for demonstrations, tests, and a
registry snapshot small enough to keep in the server's memory."""

from __future__ import annotations

import asyncio
import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

import structlog

from service.adapters.registry_files import read_registry_file
from service.domain.identifiers import known_start, pattern_matches
from service.domain.matching import SerialQuery
from service.domain.reference import ReferenceCatalogue
from service.domain.registry import RegistryMatch, RegistryRecord, registry_matches

log = structlog.get_logger("tracedesk.registries")

# A pattern query whose first character is unknown cannot use the sorted index; it is
# compared with every record, up to this many.
MAX_PATTERN_SCAN: Final = 2_000_000


class InMemoryRegistry:
    def __init__(
        self, name: str, records: Iterable[RegistryRecord], catalogue: ReferenceCatalogue
    ) -> None:
        self._name = name
        self._catalogue = catalogue
        self._by_key: dict[str, list[RegistryRecord]] = defaultdict(list)
        complete: list[tuple[str, RegistryRecord]] = []
        for record in records:
            for key in record.keys:
                self._by_key[key].append(record)
            if not record.identifier.is_partial:
                complete.append((record.identifier.normalized, record))
        complete.sort(key=lambda entry: entry[0])
        self._normalized = [normalized for normalized, _ in complete]
        self._complete = [record for _, record in complete]

    @property
    def name(self) -> str:
        return self._name

    async def search(self, query: SerialQuery) -> list[RegistryMatch]:
        candidates: list[RegistryRecord] = []
        for key in query.lookup_keys:
            candidates.extend(self._by_key.get(key, ()))
        if query.identifier.is_partial:
            candidates.extend(self._pattern_candidates(query))
        return registry_matches(query, candidates, self._catalogue)

    async def search_many(self, queries: Sequence[SerialQuery]) -> list[list[RegistryMatch]]:
        return [await self.search(query) for query in queries]

    def _pattern_candidates(self, query: SerialQuery) -> list[RegistryRecord]:
        found: list[RegistryRecord] = []
        # The pattern as read, and read as digits where its look-alike letters may be.
        for pattern in query.fitting_patterns:
            prefix = known_start(pattern)
            if prefix:
                start = bisect.bisect_left(self._normalized, prefix)
                end = bisect.bisect_left(self._normalized, prefix + "\U0010ffff")
            else:
                start, end = 0, min(len(self._normalized), MAX_PATTERN_SCAN)
            found += (
                self._complete[i]
                for i in range(start, end)
                if pattern_matches(pattern, self._normalized[i])
            )
        return found


class FileRegistry:
    """An in-memory registry loaded from its file on first use (in a worker thread, so
    the event loop keeps serving), not by every console command that never searches."""

    def __init__(self, name: str, path: Path, catalogue: ReferenceCatalogue) -> None:
        self._name = name
        self._path = path
        self._catalogue = catalogue
        self._loaded: InMemoryRegistry | None = None
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self._name

    async def search(self, query: SerialQuery) -> list[RegistryMatch]:
        return await (await self.loaded()).search(query)

    async def search_many(self, queries: Sequence[SerialQuery]) -> list[list[RegistryMatch]]:
        return await (await self.loaded()).search_many(queries)

    async def loaded(self) -> InMemoryRegistry:
        async with self._lock:
            if self._loaded is None:
                self._loaded = await asyncio.to_thread(self._load)
            return self._loaded

    def _load(self) -> InMemoryRegistry:
        read = read_registry_file(self._path, registry=self._name, catalogue=self._catalogue)
        if read.problems:
            log.warning(
                "registry file has refused lines",
                registry=self._name,
                refused=len(read.problems),
                first_line=read.problems[0].line,
            )
        return InMemoryRegistry(self._name, read.records, self._catalogue)
