"""The trace channel over HTTP: delivers exchange messages to the tracedesk instance
hosting the other agency, at POST {url}/api/v1/federation/trace-exchanges.

Every message carries its id as the Idempotency-Key (and in its body), so repeating a
delivery is safe: the receiver takes a message once. Peers are called through the shared
peer client (client credentials, timeouts, retries with backoff and jitter, circuit
breaker)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from service.adapters.exchange import TraceExchangeMessage, TraceReceiptMessage
from service.adapters.peers import PeerClient, PeerFailure, following
from service.domain.federation import DeliveryFailed, TraceExchange

EXCHANGE_PATH: Final = "/api/v1/federation/trace-exchanges"
# Refusals that a later attempt may overcome: the request changed on the peer while the
# message arrived (it is taken against the new version next time).
_TRANSIENT_REFUSALS: Final = frozenset({412, 423})


class HttpTraceChannel:
    def __init__(self, peers: Mapping[str, PeerClient]) -> None:
        self._peers = dict(peers)

    async def aclose(self) -> None:
        for client in self._peers.values():
            await client.aclose()

    async def returned(self) -> list[str]:
        return [name for name, client in self._peers.items() if await client.answers_again()]

    def client(self, peer: str) -> PeerClient | None:
        return self._peers.get(peer)

    async def deliver(self, peer: str, exchange: TraceExchange) -> None:
        client = self._peers.get(peer)
        if client is None:  # configuration can be fixed; the message waits for it
            raise DeliveryFailed(peer, "no such peer is configured", retry=True)
        message = TraceExchangeMessage.of(exchange)
        try:
            await client.call(
                "POST",
                EXCHANGE_PATH,
                _RECEIPT,
                what="trace exchange",
                body=message.model_dump(mode="json"),
                headers={"Idempotency-Key": str(exchange.message_id)},
                expect=(200, 201),
            )
        except PeerFailure as failure:
            retry = failure.retry or failure.status in _TRANSIENT_REFUSALS
            raise DeliveryFailed(peer, failure.reason, retry=retry) from None


_RECEIPT: Final = following(TraceReceiptMessage, "trace-receipt")
