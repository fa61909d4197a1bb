"""Calling another tracedesk instance (or any service speaking its exchange messages):
the part every peer adapter shares.

A peer client signs in with client credentials (an API key of a service account there)
and keeps the token until shortly before it expires, bounds every call with timeouts,
retries only what is safe to repeat with exponential backoff and jitter, and stops
calling a peer that keeps failing (circuit breaker), so a dead peer costs one fast
refusal instead of a timeout on every call. Whatever goes wrong becomes a PeerFailure
with a reason a person can act on, and whether trying again later may help.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

import httpx
import pydantic

from service.adapters.circuit import CircuitBreaker
from service.adapters.metrics import observe_remote_call
from service.adapters.telemetry import with_trace_context

T = TypeVar("T")


class PeerFailure(Exception):
    def __init__(self, reason: str, *, retry: bool, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.status = status  # the peer's HTTP status, when it answered


class PeerClient:
    def __init__(
        self,
        *,
        url: str,
        client_id: str,
        client_secret: str,
        timeout_seconds: float = 5.0,
        retry_delays: Sequence[float] = (0.2, 0.8),
        breaker: CircuitBreaker | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = "tracedesk-peer-client",
        probe_every_seconds: float = 1.0,
        name: str | None = None,
    ) -> None:
        self._credentials = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._retry_delays = tuple(retry_delays)
        self.breaker = breaker or CircuitBreaker()
        self._client = httpx.AsyncClient(
            base_url=url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds, connect=min(2.0, timeout_seconds)),
            transport=transport,
            headers={"User-Agent": user_agent},
        )
        self._token: tuple[str, float] | None = None
        self._rng = random.Random()  # noqa: S311 - jitter, not secrecy
        # Not known to answer until a call or a health check says so: after a restart,
        # work that waited for this peer is tried as soon as it is seen to answer.
        self._answering = False
        self._last_probe: float | None = None
        self._probe_every = probe_every_seconds
        self._name = name or url

    async def aclose(self) -> None:
        await self._client.aclose()

    async def call(
        self,
        method: str,
        path: str,
        read: Callable[[Any], T],
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        expect: Collection[int] = (200,),
        retry: bool = True,
    ) -> T:
        """Call the peer and read its JSON answer with `read` (which raises PeerFailure
        when the answer is wrong). `retry` only for calls safe to repeat: reads, and
        writes that carry an idempotency key."""
        if not self.breaker.allows():
            observe_remote_call(self._name, "circuit_open")
            raise PeerFailure("circuit open after repeated failures", retry=True)
        try:
            answer = await self._with_retries(
                method, path, read, what, params, body, headers, expect, retry
            )
        except PeerFailure as failure:
            self.breaker.failed()
            observe_remote_call(self._name, "failed" if failure.retry else "refused")
            if failure.retry:
                self._answering = False
            raise
        self.breaker.succeeded()
        observe_remote_call(self._name, "succeeded")
        self._answering = True
        return answer

    async def answers_again(self) -> bool:
        """True once when a peer not known to answer passes its readiness check (asked
        at most once a second); its circuit then lets the next call through."""
        now = time.monotonic()
        if self._answering or (
            self._last_probe is not None and now - self._last_probe < self._probe_every
        ):
            return False
        self._last_probe = now
        try:
            ready = await self._client.get("/readyz", timeout=1.0)
        except httpx.HTTPError:
            return False
        if ready.status_code != 200:
            return False
        self._answering = True
        self.breaker.probe_succeeded()
        return True

    async def _with_retries(
        self,
        method: str,
        path: str,
        read: Callable[[Any], T],
        what: str,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
        expect: Collection[int],
        retry: bool,
    ) -> T:
        attempt = 0
        while True:
            try:
                response = await self._authorised(method, path, params, body, headers)
                return read(self._document(response, what, expect))
            except PeerFailure as failure:
                if not (retry and failure.retry) or attempt >= len(self._retry_delays):
                    raise
                delay = self._retry_delays[attempt] * self._rng.uniform(0.5, 1.5)
                attempt += 1
                await asyncio.sleep(delay)

    async def _authorised(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        response = await self._send(method, path, params, body, headers)
        if response.status_code == 401:  # the token expired or was revoked: once more
            self._token = None
            response = await self._send(method, path, params, body, headers)
        return response

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        token = await self._access_token()
        try:
            return await self._client.request(
                method,
                path,
                params=params,
                json=body,
                headers=with_trace_context({**(headers or {}), "Authorization": f"Bearer {token}"}),
            )
        except httpx.TimeoutException:
            raise PeerFailure("the peer did not answer in time", retry=True) from None
        except httpx.TransportError as error:
            raise PeerFailure(
                f"the peer cannot be reached ({type(error).__name__})", retry=True
            ) from None

    @staticmethod
    def _document(response: httpx.Response, what: str, expect: Collection[int]) -> Any:
        status = response.status_code
        if status >= 500 or status in (408, 429):
            raise PeerFailure(f"the peer answered {status}", retry=True, status=status)
        if status not in expect:
            raise PeerFailure(
                f"the peer refused the {what} ({status}{_problem(response)})",
                retry=False,
                status=status,
            )
        try:
            return response.json()
        except (ValueError, RecursionError):  # not JSON, or nested past reading
            raise PeerFailure("the peer's answer is not JSON", retry=False) from None

    async def _access_token(self) -> str:
        if self._token is not None and self._token[1] > time.monotonic():
            return self._token[0]
        try:
            response = await self._client.post("/api/v1/auth/token", data=self._credentials)
        except httpx.TimeoutException:
            raise PeerFailure("the peer did not answer in time (sign-in)", retry=True) from None
        except httpx.TransportError as error:
            raise PeerFailure(
                f"the peer cannot be reached ({type(error).__name__})", retry=True
            ) from None
        if response.status_code >= 500:
            raise PeerFailure(f"the peer answered {response.status_code} (sign-in)", retry=True)
        if response.status_code != 200:
            raise PeerFailure(
                f"the peer refused our credentials ({response.status_code})", retry=False
            )
        try:
            body = response.json()
            token, lifetime = str(body["access_token"]), float(body["expires_in"])
        except (ValueError, KeyError, TypeError, RecursionError):
            raise PeerFailure("the peer's sign-in answer is malformed", retry=False) from None
        # Renew a little early rather than be refused mid-way.
        self._token = (token, time.monotonic() + max(lifetime - 30, lifetime / 2))
        return token


def following(model: type[pydantic.BaseModel], schema: str) -> Callable[[Any], Any]:
    """A reader that checks an answer against an exchange message's model."""

    def read(document: Any) -> Any:
        try:
            return model.model_validate(document)
        except pydantic.ValidationError as error:
            first = error.errors()[0]
            where = "/".join(str(p) for p in first["loc"])
            raise PeerFailure(
                f"the peer's answer does not follow the {schema} schema ({where}: {first['msg']})",
                retry=False,
            ) from None

    return read


def _problem(response: httpx.Response) -> str:
    """The peer's RFC 9457 problem type, when it sent one: what a person needs to act."""
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return ""
    try:
        problem = response.json()
        if not isinstance(problem, dict) or "title" not in problem:
            return ""
        detail = problem.get("detail")
        return f": {problem['title']}" + (f"; {detail}" if detail else "")
    except (ValueError, RecursionError):
        return ""
