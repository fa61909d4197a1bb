"""A registry reached over HTTP: another tracedesk instance, or any service that answers
GET {url}/api/v1/registries/{name}/search with the registry-search message.

It authenticates with client credentials (an API key of a service account there), bounds
every call with timeouts, retries only what is safe to repeat (these are GETs) with
exponential backoff and jitter, and stops calling a peer that keeps failing (circuit
breaker). Whatever goes wrong becomes RegistryUnavailable with a reason a person can act
on; the caller (the outbox) retries later.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from typing import Any

import httpx
import pydantic
import structlog

from service.adapters.exchange import RegistrySearchAnswer
from service.adapters.registries.circuit import CircuitBreaker
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


class _Failure(Exception):
    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


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
        self._credentials = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._catalogue = catalogue
        self._retry_delays = tuple(retry_delays)
        self.breaker = breaker or CircuitBreaker()
        self._client = httpx.AsyncClient(
            base_url=url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds, connect=min(2.0, timeout_seconds)),
            transport=transport,
            headers={"User-Agent": "tracedesk-registry-client"},
        )
        self._token: tuple[str, float] | None = None
        self._rng = random.Random()  # noqa: S311 - jitter, not secrecy

    @property
    def name(self) -> str:
        return self._name

    async def aclose(self) -> None:
        await self._client.aclose()

    async def search(self, query: SerialQuery) -> list[RegistryMatch]:
        if not self.breaker.allows():
            raise RegistryUnavailable(self._name, "circuit open after repeated failures")
        try:
            answer = await self._search_with_retries(query)
            records = self._records(answer)
        except _Failure as failure:
            self.breaker.failed()
            log.warning("registry peer failed", registry=self._name, reason=failure.reason)
            raise RegistryUnavailable(self._name, failure.reason) from None
        self.breaker.succeeded()
        return registry_matches(query, records, self._catalogue)

    async def _search_with_retries(self, query: SerialQuery) -> RegistrySearchAnswer:
        params: dict[str, Any] = {"serial": query.identifier.raw}
        for name, value in (
            ("make", query.make.raw if query.make else None),
            ("model", query.model),
            ("calibre", query.calibre.raw if query.calibre else None),
        ):
            if value:
                params[name] = value
        attempt = 0
        while True:
            try:
                return await self._search_once(params)
            except _Failure as failure:
                if not failure.retry or attempt >= len(self._retry_delays):
                    raise
                delay = self._retry_delays[attempt] * self._rng.uniform(0.5, 1.5)
                attempt += 1
                await asyncio.sleep(delay)

    async def _search_once(self, params: dict[str, Any]) -> RegistrySearchAnswer:
        path = f"/api/v1/registries/{self._remote_name}/search"
        response = await self._get(path, params)
        if response.status_code == 401:  # the token expired or was revoked: once more
            self._token = None
            response = await self._get(path, params)
        if response.status_code >= 500:
            raise _Failure(f"the peer answered {response.status_code}", retry=True)
        if response.status_code != 200:
            raise _Failure(f"the peer refused the search ({response.status_code})", retry=False)
        try:
            document = response.json()
        except ValueError:
            raise _Failure("the peer's answer is not JSON", retry=False) from None
        try:
            return RegistrySearchAnswer.model_validate(document)
        except pydantic.ValidationError as error:
            first = error.errors()[0]
            where = "/".join(str(p) for p in first["loc"])
            raise _Failure(
                f"the peer's answer does not follow the registry-search schema ({where}: "
                f"{first['msg']})",
                retry=False,
            ) from None

    async def _get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        token = await self._access_token()
        try:
            return await self._client.get(
                path, params=params, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.TimeoutException:
            raise _Failure("the peer did not answer in time", retry=True) from None
        except httpx.TransportError as error:
            raise _Failure(
                f"the peer cannot be reached ({type(error).__name__})", retry=True
            ) from None

    async def _access_token(self) -> str:
        if self._token is not None and self._token[1] > time.monotonic():
            return self._token[0]
        try:
            response = await self._client.post("/api/v1/auth/token", data=self._credentials)
        except httpx.TimeoutException:
            raise _Failure("the peer did not answer in time (sign-in)", retry=True) from None
        except httpx.TransportError as error:
            raise _Failure(
                f"the peer cannot be reached ({type(error).__name__})", retry=True
            ) from None
        if response.status_code >= 500:
            raise _Failure(f"the peer answered {response.status_code} (sign-in)", retry=True)
        if response.status_code != 200:
            raise _Failure(
                f"the peer refused our credentials ({response.status_code})", retry=False
            )
        try:
            body = response.json()
            token, lifetime = str(body["access_token"]), float(body["expires_in"])
        except (ValueError, KeyError, TypeError):
            raise _Failure("the peer's sign-in answer is malformed", retry=False) from None
        # Renew a little early rather than be refused mid-way.
        self._token = (token, time.monotonic() + max(lifetime - 30, lifetime / 2))
        return token

    def _records(self, answer: RegistrySearchAnswer) -> list[RegistryRecord]:
        records = []
        for number, match in enumerate(answer.matches):
            try:
                records.append(
                    RegistryRecord.read(
                        match.record.report(), registry=self._name, catalogue=self._catalogue
                    )
                )
            except ValidationFailed as failed:
                raise _Failure(
                    f"the peer sent an invalid record (matches/{number}: {failed})", retry=False
                ) from None
        return records
