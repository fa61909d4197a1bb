"""Writers for the drills: concurrent clients recording recoveries until told to stop,
each request's outcome kept (acknowledged with its id and when, refused with 503, not
answered at all, or anything else)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx


@dataclass
class Outcomes:
    acknowledged: dict[str, tuple[str, float]] = field(default_factory=dict)  # case -> id, when
    refused: list[httpx.Response] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    other: list[httpx.Response] = field(default_factory=list)

    def acknowledged_between(self, start: float, end: float) -> list[float]:
        return sorted(at for _, at in self.acknowledged.values() if start <= at <= end)


def recovery(case: str) -> dict[str, object]:
    return {
        "case_reference": case,
        "recovered_at": "2026-11-01T10:30:00+01:00",
        "circumstances": "seizure",
        "location": {"description": "Quai de Seine", "country": "FR"},
        "items": [{"kind": "firearm", "make": "Glock", "model": "17", "serial": case}],
    }


async def write_until(
    base: str,
    auth: dict[str, str],
    stop: asyncio.Event,
    outcomes: Outcomes,
    writer: int,
    *,
    prefix: str,
) -> None:
    """Record `{prefix}-{writer}-{n}` one after the other until `stop` is set; after a
    503, wait a little, as a client honouring Retry-After would (if less)."""
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=10) as client:
        number = 0
        while not stop.is_set():
            number += 1
            case = f"{prefix}-{writer}-{number}"
            try:
                answer = await client.post("/api/v1/recoveries", json=recovery(case))
            except httpx.TransportError as error:
                outcomes.unanswered.append(f"{case}: {type(error).__name__}")
                continue
            if answer.status_code == 201:
                outcomes.acknowledged[case] = (answer.json()["id"], time.monotonic())
            elif answer.status_code == 503:
                outcomes.refused.append(answer)
                await asyncio.sleep(0.05)
            else:
                outcomes.other.append(answer)
