"""A registry reached over HTTP: another tracedesk instance, or any service that answers
GET {url}/api/v1/registries/{name}/search with the registry-search message.

The calling itself (client credentials, timeouts, retries of these safe GETs, circuit
breaker) is the shared peer client's; whatever goes wrong becomes RegistryUnavailable
with a reason a person can act on, and the caller (the outbox) retries later.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import structlog

from service.adapters.circuit import CircuitBreaker
from service.adapters.exchange import RegistrySearchAnswer
from service.adapters.peers import PeerClient, PeerFailure, following
from service.domain.errors import ValidationFailed
from service.domain.matching import SerialQuery
from service.domain.reference import ReferenceCatalogue
from service.domain.registry import (
    RegistryMatch,
    RegistryRecord,
    RegistryUnavailable,
    registry_matches,
)

log = structlog.get_logger("tracedesk.registries")


class HttpRegistry:
    def __init__(
        self,
        *,
        name: str,
        url: str,
        client_id: str,
        client_secret: str,
        catalogue: ReferenceCatalogue,
        remote_name: str | None = None,
        timeout_seconds: float = 5.0,
        retry_delays: Sequence[float] = (0.2, 0.8),
        breaker: CircuitBreaker | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._name = name
        self._remote_name = remote_name or name
        self._catalogue = catalogue
        self._peer = PeerClient(
            url=url,
            client_id=client_id,
            client_secret=client_secret,
            timeout_seconds=timeout_seconds,
            retry_delays=retry_delays,
            breaker=breaker,
            transport=transport,
            user_agent="tracedesk-registry-client",
            name=f"registry:{name}",
        )
        self.breaker = self._peer.breaker

    @property
    def name(self) -> str:
        return self._name

    async def aclose(self) -> None:
        await self._peer.aclose()

    async def search(self, query: SerialQuery) -> list[RegistryMatch]:
        params: dict[str, Any] = {"serial": query.identifier.raw}
        for name, value in (
            ("make", query.make.raw if query.make else None),
            ("model", query.model),
            ("calibre", query.calibre.raw if query.calibre else None),
        ):
            if value:
                params[name] = value
        try:
            records = await self._peer.call(
                "GET",
                f"/api/v1/registries/{self._remote_name}/search",
                self._records,
                what="search",
                params=params,
            )
        except PeerFailure as failure:
            log.warning("registry peer failed", registry=self._name, reason=failure.reason)
            raise RegistryUnavailable(self._name, failure.reason) from None
        return registry_matches(query, records, self._catalogue)

    async def search_many(self, queries: Sequence[SerialQuery]) -> list[list[RegistryMatch]]:
        # The peer's API answers one serial at a time.
        return [await self.search(query) for query in queries]

    def _records(self, document: Any) -> list[RegistryRecord]:
        answer: RegistrySearchAnswer = _SEARCH_ANSWER(document)
        records = []
        for number, match in enumerate(answer.matches):
            try:
                records.append(
                    RegistryRecord.read(
                        match.record.report(), registry=self._name, catalogue=self._catalogue
                    )
                )
            except ValidationFailed as failed:
                raise PeerFailure(
                    f"the peer sent an invalid record (matches/{number}: {failed})", retry=False
                ) from None
        return records


_SEARCH_ANSWER = following(RegistrySearchAnswer, "registry-search")
