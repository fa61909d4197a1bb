"""A misbehaving peer on the trace channel: slow, failing, malformed, off-schema,
refusing, unreachable. The request stays stored here whatever happens; each failure is
visible on the request and in the outbox, retried when that can help and set aside when
only a person can; the circuit opens and closes."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from uuid import UUID

import httpx
import pytest

from service.adapters.circuit import CircuitBreaker, CircuitState
from service.adapters.federation import HttpTraceChannel
from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from service.adapters.peers import PeerClient
from service.domain.access import Actor, ActorKind, Role
from service.domain.federation import DeliveryFailed, exchange_of
from service.domain.identity import Agency, AgencyKind
from service.outbox_worker import OutboxWorker
from service.recoveries import record_recovery
from service.trace_federation import TraceDeliveryHandler, delivery_state
from service.trace_requests import RequestTrace, request_trace
from tests.builders import AGENCY_A, NOW, dependencies_for_tests, new_id, record_command
from tests.fakes import Clock

PEER_AGENCY = UUID("00000000-0000-7000-8000-0000000000ee")
TOKEN = {"access_token": "t0ken", "token_type": "bearer", "expires_in": 900}
INVESTIGATOR = Actor(new_id(), ActorKind.USER, AGENCY_A, frozenset({Role.INVESTIGATOR}))


def receipt(request: httpx.Request) -> httpx.Response:
    sent = json.loads(request.content)
    return httpx.Response(
        201,
        json={
            "schema_version": "tracedesk.trace-receipt.v1",
            "message_id": sent["message_id"],
            "request_id": sent["request_id"],
            "status": "submitted",
            "duplicate": False,
        },
    )


class Peer:
    """A fake peer: answers sign-in, then whatever `exchange` says."""

    def __init__(self, exchange: Callable[[httpx.Request], httpx.Response]) -> None:
        self.exchange = exchange
        self.posts: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/auth/token":
            return httpx.Response(200, json=TOKEN)
        self.posts.append(request)
        return self.exchange(request)


def channel(
    transport: httpx.AsyncBaseTransport | None,
    *,
    url: str = "http://peer.test",
    breaker: CircuitBreaker | None = None,
    timeout: float = 5.0,
    probe_every_seconds: float = 1.0,
) -> HttpTraceChannel:
    client = PeerClient(
        probe_every_seconds=probe_every_seconds,
        url=url,
        client_id="td_peer",
        client_secret="secret",  # noqa: S106
        timeout_seconds=timeout,
        retry_delays=(0.01,),
        breaker=breaker,
        transport=transport,
    )
    return HttpTraceChannel({"peer": client})


class Sender:
    """This instance: agency A asks an agency hosted on `peer` for a trace."""

    def __init__(self, trace_channel: HttpTraceChannel) -> None:
        self.store = InMemoryStore()
        self.deps = dependencies_for_tests(lambda: InMemoryUnitOfWork(self.store), clock=Clock())
        self.worker = OutboxWorker(self.deps, [TraceDeliveryHandler(self.deps, trace_channel)])
        self.store.agencies[AGENCY_A] = Agency(AGENCY_A, "Agency A", "FR", AgencyKind.POLICE, NOW)
        self.store.agencies[PEER_AGENCY] = Agency(
            PEER_AGENCY, "Politie NL", "NL", AgencyKind.POLICE, NOW, peer="peer"
        )

    async def ask(self) -> UUID:
        recovery = await record_recovery(
            deps=self.deps, actor=INVESTIGATOR, command=record_command()
        )
        request = await request_trace(
            deps=self.deps,
            actor=INVESTIGATOR,
            command=RequestTrace(
                recovery_id=recovery.id,
                item_id=recovery.items[0].id,
                addressee_agency_id=PEER_AGENCY,
                legal_justification="Seized at the border.",
                intended_use="Criminal investigation",
                priority="routine",
                submit=True,
            ),
        )
        return request.id

    async def state(self, request_id: UUID) -> tuple[str, str | None]:
        async with InMemoryUnitOfWork(self.store) as uow:
            request = await uow.trace_requests.get(request_id)
        assert request is not None and request.version == 2  # stored, intact
        delivery = await delivery_state(deps=self.deps, request=request)
        assert delivery is not None
        return delivery.state, delivery.last_error


@pytest.mark.parametrize(
    ("answer", "reason", "state", "posts"),
    [
        (httpx.Response(500, text="boom"), "answered 500", "waiting", 2),
        (httpx.Response(503), "answered 503", "waiting", 2),
        (httpx.Response(201, text="<html>"), "not JSON", "failed", 1),
        (httpx.Response(201, json={"status": "ok"}), "does not follow", "failed", 1),
        (
            httpx.Response(
                409,
                json={"title": "This step is not allowed now", "status": 409},
                headers={"content-type": "application/problem+json"},
            ),
            "refused the trace exchange (409: This step is not allowed now)",
            "failed",
            1,
        ),
        (httpx.Response(412), "refused the trace exchange (412)", "waiting", 1),
        (httpx.Response(422, json={}), "refused the trace exchange (422)", "failed", 1),
    ],
)
async def test_a_broken_answer_is_visible_and_retried_only_when_it_may_help(
    answer: httpx.Response, reason: str, state: str, posts: int
) -> None:
    peer = Peer(lambda request: answer)
    sender = Sender(channel(httpx.MockTransport(peer)))
    request_id = await sender.ask()
    assert await sender.worker.run_once() == 1
    seen_state, error = await sender.state(request_id)
    assert (seen_state, len(peer.posts)) == (state, posts)
    assert error is not None and reason in error


async def test_every_post_carries_its_idempotency_key_and_a_valid_message() -> None:
    peer = Peer(receipt)
    sender = Sender(channel(httpx.MockTransport(peer)))
    request_id = await sender.ask()
    await sender.worker.run_once()
    (post,) = peer.posts
    body = json.loads(post.content)
    assert post.headers["Idempotency-Key"] == body["message_id"]
    assert body["step"] == "submit" and body["request_id"] == str(request_id)
    assert post.headers["Authorization"] == "Bearer t0ken"
    assert await sender.state(request_id) == ("delivered", None)


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A peer that accepts connections and never answers."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def test_a_slow_peer_times_out_and_the_request_waits(silent_port: int) -> None:
    sender = Sender(channel(None, url=f"http://127.0.0.1:{silent_port}", timeout=0.2))
    request_id = await sender.ask()
    await sender.worker.run_once()
    state, error = await sender.state(request_id)
    assert state == "waiting" and error is not None and "did not answer in time" in error


async def test_an_unreachable_peer_is_reported_and_the_request_waits() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free, and nothing listens on it
    sender = Sender(channel(None, url=f"http://127.0.0.1:{port}"))
    request_id = await sender.ask()
    await sender.worker.run_once()
    state, error = await sender.state(request_id)
    assert state == "waiting" and error is not None and "cannot be reached" in error


async def test_the_circuit_opens_after_repeated_failures_and_closes_after_a_good_trial() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures_to_open=2, open_seconds=30, clock=lambda: now[0])
    healthy = [False]
    peer = Peer(lambda request: receipt(request) if healthy[0] else httpx.Response(503))
    trace_channel = channel(httpx.MockTransport(peer), breaker=breaker)
    sender = Sender(trace_channel)
    async with InMemoryUnitOfWork(sender.store) as uow:
        request = await uow.trace_requests.get(await sender.ask())
    assert request is not None
    exchange = exchange_of(request, version=2, message_id=new_id())
    for _ in range(2):
        with pytest.raises(DeliveryFailed):
            await trace_channel.deliver("peer", exchange)
    assert breaker.state is CircuitState.OPEN
    posts = len(peer.posts)
    with pytest.raises(DeliveryFailed, match="circuit open") as refused:
        await trace_channel.deliver("peer", exchange)
    assert refused.value.retry and len(peer.posts) == posts  # refused without calling

    now[0] += 31
    healthy[0] = True
    await trace_channel.deliver("peer", exchange)
    assert breaker.state is CircuitState.CLOSED
    await trace_channel.aclose()


async def test_a_peer_missing_from_the_configuration_leaves_the_message_waiting() -> None:
    sender = Sender(HttpTraceChannel({}))
    request_id = await sender.ask()
    await sender.worker.run_once()
    state, error = await sender.state(request_id)
    assert state == "waiting" and error is not None and "no such peer is configured" in error


async def test_a_peer_that_answers_again_gets_what_waited_for_it_at_once() -> None:
    breaker = CircuitBreaker(failures_to_open=1, open_seconds=30)
    up = [False]

    def peer(request: httpx.Request) -> httpx.Response:
        if not up[0]:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/readyz":
            return httpx.Response(200, json={"status": "ready"})
        if request.url.path == "/api/v1/auth/token":
            return httpx.Response(200, json=TOKEN)
        return receipt(request)

    trace_channel = channel(httpx.MockTransport(peer), breaker=breaker, probe_every_seconds=0)
    sender = Sender(trace_channel)
    delivery = TraceDeliveryHandler(sender.deps, trace_channel)
    worker = OutboxWorker(sender.deps, [delivery], watches=[delivery.watch], watch_every=0)
    request_id = await sender.ask()
    assert await worker.run_once() == 1
    assert (await sender.state(request_id))[0] == "waiting"
    assert breaker.state is CircuitState.OPEN
    assert await trace_channel.returned() == []  # still down
    assert await worker.run_once() == 0  # its next attempt is seconds away

    up[0] = True
    await delivery.watch()  # what the worker does between batches
    assert breaker.state is CircuitState.HALF_OPEN  # the next call is the trial, now
    assert await worker.run_once() == 1
    assert (await sender.state(request_id))[0] == "delivered"
    assert await trace_channel.returned() == []  # known to answer: not asked again
    await trace_channel.aclose()


async def test_after_a_restart_a_peer_is_checked_once_and_waiting_work_goes_at_once() -> None:
    asked: list[str] = []

    def peer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(200, json={"status": "ready"})

    trace_channel = channel(httpx.MockTransport(peer), probe_every_seconds=0)
    assert await trace_channel.returned() == ["peer"]
    assert await trace_channel.returned() == []
    assert asked == ["/readyz"]
    await trace_channel.aclose()
