"""The messages taken from peers, in SQL."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Stage
from service.adapters.persistence.sql import Query
from service.adapters.persistence.writes import InsertRows
from service.domain.federation import ReceivedExchange
from service.domain.trace_workflow import TraceStatus

_R = tables.received_exchanges
_BY_ID = Query(
    lambda _: sa.select(_R).where(_R.c.message_id == sa.bindparam("id", type_=sa.Uuid()))
)


class SqlReceivedExchanges:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    async def get(self, message_id: UUID) -> ReceivedExchange | None:
        rows = await (await self._connect()).fetch(_BY_ID, id=message_id)
        if not rows:
            return None
        row = rows[0]
        return ReceivedExchange(
            message_id=row["message_id"],
            request_id=row["request_id"],
            step=row["action"],
            peer=row["peer"],
            sender_agency_id=row["sender_agency_id"],
            received_at=row["received_at"],
            status_after=TraceStatus(row["status_after"]),
        )

    def add(self, received: ReceivedExchange) -> None:
        self._stage(
            [
                InsertRows(
                    _R,
                    [
                        {
                            "message_id": received.message_id,
                            "request_id": received.request_id,
                            "action": received.step,
                            "peer": received.peer,
                            "sender_agency_id": received.sender_agency_id,
                            "received_at": received.received_at,
                            "status_after": received.status_after.value,
                        }
                    ],
                )
            ]
        )
