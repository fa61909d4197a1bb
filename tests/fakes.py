"""Fakes of the ports that are not storage (storage has its in-memory adapters): a
clock a test sets, identifiers and secrets that come in order, and a peer instance that
takes what it is sent or refuses it."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from uuid import UUID

from service.domain.federation import DeliveryFailed, TraceExchange
from service.domain.photos import InspectedImage, PhotoMediaType, PhotoRules

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


class Clock:
    """The time a test says it is: `moment`, moved by hand."""

    def __init__(self, moment: datetime = NOW) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class SteppingClock:
    """Each reading a second later than the last: times are fixed, and distinct."""

    def __init__(self, start: datetime = NOW) -> None:
        self.moment = start

    def now(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


class MonotonicClock:
    """Seconds as time.monotonic counts them, moved by hand (for caches that expire)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


_shared = itertools.count(1)


def new_id() -> UUID:
    """A new id, in order across the whole test session (UUIDv7-shaped)."""
    return UUID(int=(0x0190_0000_0000_7000_8000 << 48) + next(_shared))


class SequentialIds:
    """The ids port, drawing from the session's sequence."""

    def new_id(self) -> UUID:
        return new_id()


class CountingIds:
    """The ids port with a sequence of its own: the same ids in every run of a test."""

    def __init__(self) -> None:
        self.count = 0

    def new_id(self) -> UUID:
        self.count += 1
        return UUID(int=(0x019A_0000_0000_7000_8000 << 48) + self.count)


class CountingSecrets:
    """The secrets port, predictable (a test that compares what was written)."""

    def __init__(self) -> None:
        self.count = 0

    def secret(self) -> str:
        self.count += 1
        return f"secret-{self.count:04}-" + "s" * 32

    def public_id(self) -> str:
        self.count += 1
        return f"{self.count:010}"


class Peer:
    """Another instance, as this one's trace channel sees it: it takes what is sent,
    or refuses it for good when told to."""

    def __init__(self) -> None:
        self.sent: list[TraceExchange] = []
        self.refuse = False

    async def deliver(self, peer: str, exchange: TraceExchange) -> None:
        if self.refuse:
            raise DeliveryFailed(peer, "401 from the peer: the key was revoked", retry=False)
        self.sent.append(exchange)

    async def returned(self) -> list[str]:
        return []


class LabelledImages:
    """The image inspector, predictable: any content is an image of the given size, and
    its thumbnail says which content it was made from (a test that compares what was
    written must not depend on Pillow's encoders)."""

    def __init__(self, width: int = 1600, height: int = 1200) -> None:
        self.size = (width, height)

    async def inspect(
        self, content: bytes, media_type: PhotoMediaType, *, rules: PhotoRules
    ) -> InspectedImage:
        rules.check_pixels(*self.size)
        digest = hashlib.sha256(content).hexdigest()
        return InspectedImage(*self.size, f"thumbnail of {digest}".encode())
