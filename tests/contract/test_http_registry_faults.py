"""A misbehaving peer: slow, failing, malformed, off-schema, unreachable. Each becomes a
RegistryUnavailable that says why; retries happen only where they can help; a peer that
keeps failing is left alone until a trial call succeeds."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from service.adapters.circuit import CircuitBreaker, CircuitState
from service.adapters.registries.http import HttpRegistry
from service.domain.matching import SerialQuery
from service.domain.reference import ReferenceCatalogue
from service.domain.registry import RegistryUnavailable

ANSWER = {
    "schema_version": "tracedesk.registry-search.v1",
    "registry": "peer",
    "matches": [
        {
            "record": {"reference": "P-1", "status": "stolen", "serial": "ABC 123", "x": 1},
            "match_kind": "exact",
            "confidence": 0.97,
        }
    ],
}
TOKEN = {"access_token": "t0ken", "token_type": "bearer", "expires_in": 900}


class Peer:
    """A fake peer: answers sign-in, then whatever `search` says."""

    def __init__(self, search: Callable[[httpx.Request], httpx.Response]) -> None:
        self.search = search
        self.searches = 0
        self.sign_ins = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/auth/token":
            self.sign_ins += 1
            return httpx.Response(200, json=TOKEN)
        self.searches += 1
        return self.search(request)


def registry(
    transport: httpx.AsyncBaseTransport | None,
    catalogue: ReferenceCatalogue,
    *,
    url: str = "http://peer.test",
    breaker: CircuitBreaker | None = None,
    timeout: float = 5.0,
) -> HttpRegistry:
    return HttpRegistry(
        name="peer",
        url=url,
        client_id="td_peer",
        client_secret="secret",  # noqa: S106
        catalogue=catalogue,
        timeout_seconds=timeout,
        retry_delays=(0.01, 0.02),
        breaker=breaker,
        transport=transport,
    )


def query(catalogue: ReferenceCatalogue) -> SerialQuery:
    return SerialQuery.parse("ABC 123", catalogue=catalogue)


async def refused(peer: HttpRegistry, catalogue: ReferenceCatalogue) -> str:
    with pytest.raises(RegistryUnavailable) as error:
        await peer.search(query(catalogue))
    await peer.aclose()
    return error.value.reason


async def test_a_good_answer_is_matched_here_and_unknown_fields_are_ignored(
    catalogue: ReferenceCatalogue,
) -> None:
    peer = Peer(lambda request: httpx.Response(200, json=ANSWER))
    found = await registry(httpx.MockTransport(peer), catalogue).search(query(catalogue))
    assert [(m.record.reference, m.kind.value) for m in found] == [("P-1", "exact")]
    assert found[0].record.registry == "peer" and peer.sign_ins == 1


@pytest.mark.parametrize(
    ("answer", "reason", "searches"),
    [
        (httpx.Response(500, text="boom"), "answered 500", 3),  # retried twice, then given up
        (httpx.Response(200, text="<html>"), "not JSON", 1),
        # Nested past a recursive parser's reach: a refusal like any other, not a crash.
        (
            httpx.Response(
                200,
                text="[" * 100_000 + "]" * 100_000,
                headers={"content-type": "application/json"},
            ),
            "not JSON",
            1,
        ),
        (httpx.Response(200, json={"registry": "peer"}), "does not follow", 1),
        (
            httpx.Response(
                200,
                json={
                    **ANSWER,
                    "matches": [
                        {
                            **ANSWER["matches"][0],
                            "record": {"reference": "P-2", "status": "misplaced", "serial": "A1"},
                        }
                    ],
                },  # type: ignore[dict-item]
            ),
            "invalid record",
            1,
        ),
        (httpx.Response(403, json={}), "refused the search (403)", 1),
    ],
)
async def test_a_broken_answer_says_what_is_wrong(
    catalogue: ReferenceCatalogue, answer: httpx.Response, reason: str, searches: int
) -> None:
    peer = Peer(lambda request: answer)
    assert reason in await refused(registry(httpx.MockTransport(peer), catalogue), catalogue)
    assert peer.searches == searches


async def test_an_expired_token_is_renewed_once(catalogue: ReferenceCatalogue) -> None:
    answers = iter([httpx.Response(401), httpx.Response(200, json=ANSWER)])
    peer = Peer(lambda request: next(answers))
    found = await registry(httpx.MockTransport(peer), catalogue).search(query(catalogue))
    assert len(found) == 1 and peer.sign_ins == 2


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A peer that accepts connections and never answers."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def test_a_slow_peer_times_out(catalogue: ReferenceCatalogue, silent_port: int) -> None:
    slow = registry(None, catalogue, url=f"http://127.0.0.1:{silent_port}", timeout=0.2)
    assert "did not answer in time" in await refused(slow, catalogue)


async def test_an_unreachable_peer_is_reported(catalogue: ReferenceCatalogue) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free, and nothing listens on it
    gone = registry(None, catalogue, url=f"http://127.0.0.1:{port}")
    assert "cannot be reached" in await refused(gone, catalogue)


async def test_the_circuit_opens_after_repeated_failures_and_closes_after_a_good_trial(
    catalogue: ReferenceCatalogue,
) -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures_to_open=3, open_seconds=30, clock=lambda: now[0])
    healthy = [False]

    def search(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ANSWER) if healthy[0] else httpx.Response(503)

    peer = Peer(search)
    client = registry(httpx.MockTransport(peer), catalogue, breaker=breaker)
    for _ in range(3):
        with pytest.raises(RegistryUnavailable):
            await client.search(query(catalogue))
    assert breaker.state is CircuitState.OPEN
    calls = peer.searches
    with pytest.raises(RegistryUnavailable, match="circuit open"):
        await client.search(query(catalogue))
    assert peer.searches == calls  # refused here, without calling the peer

    now[0] += 31
    assert breaker.state is CircuitState.HALF_OPEN
    healthy[0] = True
    assert await client.search(query(catalogue))
    assert breaker.state is CircuitState.CLOSED
    await client.aclose()


def test_a_failed_trial_keeps_the_circuit_open() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures_to_open=1, open_seconds=10, clock=lambda: now[0])
    breaker.failed()
    now[0] = 11
    assert breaker.allows() and not breaker.allows()  # one trial at a time
    breaker.failed()
    assert breaker.state is CircuitState.OPEN
    now[0] = 22
    assert breaker.state is CircuitState.HALF_OPEN
