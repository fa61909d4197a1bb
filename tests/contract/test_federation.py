"""Trace requests between two tracedesk instances, through the HTTP trace channel.

Paris (on each database) hosts Agency A; Berlin (its own SQLite database) hosts the BKA.
Each instance knows the other's agency as hosted on a peer, and holds a service account
of it (scope federation:exchange) whose API key the other instance signs in with. The
apps are real; the network between them is httpx's ASGI transport, which a test can cut.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from service import accounts
from service.adapters.api.app import create_app
from service.adapters.bootstrap import outbox_worker
from service.adapters.circuit import CircuitBreaker
from service.adapters.exchange import TraceExchangeMessage
from service.adapters.federation import HttpTraceChannel
from service.adapters.peers import PeerClient
from service.adapters.persistence import tables
from service.adapters.persistence.database import Database, migration_engine
from service.adapters.settings import Settings
from service.dependencies import Dependencies
from service.domain.audit import AuditEvent
from service.domain.errors import Conflict
from service.domain.federation import exchange_of
from service.domain.ports.audit import AuditFilter
from service.outbox_operations import outbox_troubles, requeue_failed
from tests.api.conftest import CHAIN, PASSWORD, recovery_body
from tests.builders import fast_dependencies
from tests.databases import AGENCIES, migrated_database, sqlite_url

AGENCY_A = AGENCIES["a"][0]
BKA = UUID("00000000-0000-7000-8000-0000000000bc")


class Link(httpx.AsyncBaseTransport):
    """The network to a peer: an app over ASGI, which a test can take down."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None
        self.up = True
        self.posts = 0
        self.refuse_with: int | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.up or self.app is None:
            raise httpx.ConnectError("connection refused", request=request)
        if request.method == "POST" and request.url.path.endswith("/trace-exchanges"):
            self.posts += 1
            if self.refuse_with is not None:
                return httpx.Response(self.refuse_with, json={}, request=request)
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return await transport.handle_async_request(request)


@dataclasses.dataclass
class Instance:
    name: str
    url: str
    client: httpx.AsyncClient
    deps: Dependencies

    async def token(self, username: str) -> dict[str, str]:
        response = await self.client.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def work(self) -> int:
        """Run the outbox until nothing is due; how many messages were handled."""
        worker, handled = outbox_worker(self.deps), 0
        while batch := await worker.run_once():
            handled += batch
        return handled

    async def get(self, who: dict[str, str], request_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/trace-requests/{request_id}", headers=who)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def act(
        self, who: dict[str, str], request: dict[str, Any], step: str, body: Any = None
    ) -> dict[str, Any]:
        response = await self.client.post(
            f"/api/v1/trace-requests/{request['id']}/{step}",
            json=body,
            headers={**who, "If-Match": f'"v{request["version"]}"'},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def audit_events(self) -> list[AuditEvent]:
        async with self.deps.unit_of_work() as uow:
            stored = await uow.audit.events(AuditFilter(), after_seq=None, limit=1000)
        return [s.event for s in reversed(stored)]


@dataclasses.dataclass
class Federation:
    paris: Instance
    berlin: Instance
    to_berlin: Link
    to_paris: Link
    investigator: dict[str, str]
    supervisor: dict[str, str]
    officer: dict[str, str]


def _with_channel(peer: str, link: Link) -> Callable[[Database, Settings], Dependencies]:
    def dependencies(database: Database, settings: Settings) -> Dependencies:
        client = PeerClient(
            url=f"http://{peer}.test",
            client_id=credentials[peer][0],
            client_secret=credentials[peer][1],
            timeout_seconds=2,
            retry_delays=(0.01,),
            breaker=CircuitBreaker(failures_to_open=3, open_seconds=0.2),
            transport=link,
        )
        deps = fast_dependencies(database, settings)
        return dataclasses.replace(deps, trace_channel=HttpTraceChannel({peer: client}))

    credentials: dict[str, tuple[str, str]] = {}
    dependencies.credentials = credentials  # type: ignore[attr-defined]
    return dependencies


async def _peer_key(deps: Dependencies, agency_id: UUID, name: str = "peer") -> tuple[str, str]:
    account = await accounts.register_service_account(
        deps=deps, agency_id=agency_id, name=name, scopes=["federation:exchange"]
    )
    issued = await accounts.issue_api_key(deps=deps, service_account_id=account.id)
    return issued.client_id, issued.secret


@pytest.fixture
async def federation(database: Database, tmp_path: Path) -> AsyncIterator[Federation]:
    berlin_database = await migrated_database(sqlite_url(tmp_path))
    to_berlin, to_paris = Link(), Link()
    paris_deps_of, berlin_deps_of = (
        _with_channel("berlin", to_berlin),
        _with_channel("paris", to_paris),
    )
    paris_app = create_app(
        Settings(database_url=database.url, worker="external"), dependencies=paris_deps_of
    )
    berlin_app = create_app(
        Settings(database_url=berlin_database.url, worker="external"), dependencies=berlin_deps_of
    )
    # Each side knows the other's agency, with the same id, as hosted on the peer.
    paris_setup = fast_dependencies(database, Settings(database_url=database.url))
    berlin_setup = fast_dependencies(berlin_database, Settings(database_url=berlin_database.url))
    await accounts.register_agency(
        deps=paris_setup, name="BKA", country="DE", kind="police", agency_id=BKA, peer="berlin"
    )
    await accounts.register_agency(
        deps=berlin_setup, name="BKA", country="DE", kind="police", agency_id=BKA
    )
    await accounts.register_agency(
        deps=berlin_setup,
        name="Agency A",
        country="FR",
        kind="police",
        agency_id=AGENCY_A,
        peer="paris",
    )
    paris_deps_of.credentials["berlin"] = await _peer_key(berlin_setup, AGENCY_A)  # type: ignore[attr-defined]
    berlin_deps_of.credentials["paris"] = await _peer_key(paris_setup, BKA)  # type: ignore[attr-defined]
    for deps, agency, username, role in (
        (paris_setup, AGENCY_A, "investigator.a", "investigator"),
        (paris_setup, AGENCY_A, "supervisor.a", "supervisor"),
        (berlin_setup, BKA, "officer.bka", "tracing_officer"),
    ):
        await accounts.register_user(
            deps=deps,
            agency_id=agency,
            username=username,
            display_name=username,
            roles=[role],
            password=PASSWORD,
        )
    async with AsyncExitStack() as stack:
        instances = []
        for name, app, url in (
            ("paris", paris_app, database.url),
            ("berlin", berlin_app, berlin_database.url),
        ):
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url=f"http://{name}.test")
            )
            instances.append(Instance(name, url, client, app.state.deps))
        to_berlin.app, to_paris.app = berlin_app, paris_app
        paris, berlin = instances
        yield Federation(
            paris=paris,
            berlin=berlin,
            to_berlin=to_berlin,
            to_paris=to_paris,
            investigator=await paris.token("investigator.a"),
            supervisor=await paris.token("supervisor.a"),
            officer=await berlin.token("officer.bka"),
        )
    await berlin_database.dispose()


async def ask(federation: Federation) -> dict[str, Any]:
    paris = federation.paris
    recorded = await paris.client.post(
        "/api/v1/recoveries", json=recovery_body(), headers=federation.investigator
    )
    assert recorded.status_code == 201, recorded.text
    recovery = recorded.json()
    asked = await paris.client.post(
        "/api/v1/trace-requests",
        json={
            "recovery_id": recovery["id"],
            "item_id": recovery["items"][0]["id"],
            "addressee": {"agency_id": str(BKA)},
            "legal_justification": "Found on a suspect arrested for armed robbery.",
            "intended_use": "Criminal investigation and prosecution",
            "priority": "urgent",
            "submit": True,
        },
        headers=federation.investigator,
    )
    assert asked.status_code == 201, asked.text
    return dict(asked.json())


async def test_a_request_and_its_answer_travel_between_instances(federation: Federation) -> None:
    paris, berlin = federation.paris, federation.berlin
    asked = await ask(federation)
    await paris.work()  # the delivery, and the recovery's linking into its network

    (inbox,) = (
        await berlin.client.get(
            "/api/v1/trace-requests", params={"box": "inbox"}, headers=federation.officer
        )
    ).json()["requests"]
    assert inbox["id"] == asked["id"] and inbox["status"] == "submitted"
    there = await berlin.get(federation.officer, asked["id"])
    for same in ("item", "legal_justification", "priority", "acknowledge_by", "respond_by"):
        assert there[same] == asked[same], same

    acknowledged = await berlin.act(federation.officer, there, "acknowledge")
    question = await berlin.act(
        federation.officer, acknowledged, "request-info", {"question": "Photos of the slide?"}
    )
    await berlin.work()
    here = await paris.get(federation.investigator, asked["id"])
    assert here["status"] == "info_requested"
    answered = await paris.act(
        federation.investigator, here, "provide-info", {"answer": "Attached to the case file."}
    )
    await paris.work()
    there = await berlin.get(federation.officer, asked["id"])
    assert there["status"] == "acknowledged"
    responded = await berlin.act(
        federation.officer, there, "respond", {"outcome": "traced", "chain_of_custody": CHAIN}
    )
    await berlin.work()

    here = await paris.get(federation.investigator, asked["id"])
    assert here["status"] == "responded"
    assert here["responses"] == responded["responses"]
    assert here["time_to_crime_days"] == responded["time_to_crime_days"] is not None
    steps = [(t["action"], t["at"], t["by"]) for t in here["history"]]
    assert steps == [(t["action"], t["at"], t["by"]) for t in responded["history"]]
    posted = await paris.client.post(
        f"/api/v1/trace-requests/{asked['id']}/messages",
        json={
            "body": "Thank you. Do you hold the dealer's sales book?",
            "attachments": [
                {
                    "filename": "slide.jpg",
                    "media_type": "image/jpeg",
                    "size_bytes": 2048,
                    "sha256": "ab" * 32,
                }
            ],
        },
        headers=federation.investigator,
    )
    assert posted.status_code == 201, posted.text
    await paris.work()
    closed = await paris.act(federation.supervisor, here, "close")
    await paris.work()
    assert (await berlin.get(federation.officer, asked["id"]))["status"] == "closed"
    assert closed["status"] == "closed" and answered and question

    thread = (
        await berlin.client.get(
            f"/api/v1/trace-requests/{asked['id']}/messages", headers=federation.officer
        )
    ).json()["messages"]
    assert [m["body"] for m in thread] == [
        "Photos of the slide?",
        "Attached to the case file.",
        "Thank you. Do you hold the dealer's sales book?",
    ]
    assert thread[-1] == posted.json()  # same id, author, time and attachments

    # Each side's audit trail records what it sent and what it received, and verifies.
    # (Berlin records a received submission as two events: created, submitted.)
    for instance, sent, received in ((paris, 4, 3), (berlin, 3, 5)):
        events = await instance.audit_events()
        assert [e.action for e in events].count("trace_exchange.sent") == sent, instance.name
        assert sum(1 for e in events if (e.changes or {}).get("received")) == received
        verified = await instance.client.get(
            "/api/v1/audit/verify", headers=await _auditor(instance)
        )
        assert verified.json()["status"] == "ok", verified.text


async def _auditor(instance: Instance) -> dict[str, str]:
    agency = AGENCY_A if instance.name == "paris" else BKA
    await accounts.register_user(
        deps=instance.deps,
        agency_id=agency,
        username=f"auditor.{instance.name}",
        display_name="Auditor",
        roles=["auditor"],
        password=PASSWORD,
    )
    return await instance.token(f"auditor.{instance.name}")


async def test_a_message_delivered_twice_changes_nothing(federation: Federation) -> None:
    paris, berlin = federation.paris, federation.berlin
    asked = await ask(federation)
    await paris.work()
    async with paris.deps.unit_of_work() as uow:
        (entry,) = await uow.outbox.by_key(asked["id"])
        request = await uow.trace_requests.get(UUID(asked["id"]))
    assert request is not None and entry.done_at is not None
    again = TraceExchangeMessage.of(exchange_of(request, version=2, message_id=entry.message.id))
    token = await _peer_token(federation)
    repeated = await berlin.client.post(
        "/api/v1/federation/trace-exchanges", json=again.model_dump(mode="json"), headers=token
    )
    assert repeated.status_code == 200 and repeated.json()["duplicate"] is True
    there = await berlin.get(federation.officer, asked["id"])
    assert there["version"] == 2 and len(there["history"]) == 2


async def _peer_token(federation: Federation) -> dict[str, str]:
    client_id, secret = await _peer_key(federation.berlin.deps, AGENCY_A, "peer (by hand)")
    response = await federation.berlin.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_while_the_peer_is_down_nothing_is_lost_and_it_arrives_once(
    federation: Federation,
) -> None:
    paris, berlin = federation.paris, federation.berlin
    federation.to_berlin.up = False
    asked = await ask(federation)
    await paris.work()
    async with paris.deps.unit_of_work() as uow:
        (entry,) = await uow.outbox.by_key(asked["id"])
        troubles = await uow.outbox.troubles(limit=10)
    assert entry.done_at is None and entry.failed_at is None
    assert "cannot be reached" in (entry.message.last_error or "")
    assert [t.message.id for t in troubles] == [entry.message.id]
    here = await paris.get(federation.investigator, asked["id"])
    assert here["status"] == "submitted"  # the request itself is stored and intact
    assert (
        here["delivery"]["state"] == "waiting"
        and "cannot be reached" in here["delivery"]["last_error"]
    )

    federation.to_berlin.up = True
    await _due_now(paris)
    await paris.work()
    await _due_now(paris)
    await paris.work()  # nothing more to send: it is not sent again
    assert federation.to_berlin.posts == 1
    listed = await berlin.client.get(
        "/api/v1/trace-requests", params={"box": "inbox"}, headers=federation.officer
    )
    assert [r["id"] for r in listed.json()["requests"]] == [asked["id"]]
    assert (await paris.get(federation.investigator, asked["id"]))["delivery"][
        "state"
    ] == "delivered"


async def _due_now(instance: Instance) -> None:
    """Skip the retry delay: every waiting message is due now."""
    engine = migration_engine(instance.url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.update(tables.outbox)
                .where(tables.outbox.c.done_at.is_(None))
                .values(available_at=datetime(2000, 1, 1, tzinfo=UTC))
            )
    finally:
        await engine.dispose()


async def test_a_refused_message_is_set_aside_and_sent_again_once_fixed(
    federation: Federation,
) -> None:
    paris, berlin = federation.paris, federation.berlin
    federation.to_berlin.refuse_with = 403  # say, our key there was revoked by mistake
    asked = await ask(federation)
    await paris.work()
    (troubled,) = await outbox_troubles(deps=paris.deps)
    assert troubled.failed_at is not None and "(403)" in (troubled.message.last_error or "")
    here = await paris.get(federation.investigator, asked["id"])
    assert here["delivery"]["state"] == "failed" and here["status"] == "submitted"

    federation.to_berlin.refuse_with = None
    await requeue_failed(deps=paris.deps, message_id=troubled.message.id, reason="key renewed")
    await paris.work()
    assert (await paris.get(federation.investigator, asked["id"]))["delivery"]["state"] == (
        "delivered"
    )
    assert (await berlin.get(federation.officer, asked["id"]))["status"] == "submitted"
    requeued = [e for e in await paris.audit_events() if e.action == "outbox.requeued"]
    assert [e.reason for e in requeued] == ["key renewed"]
    with pytest.raises(Conflict):  # only what failed is sent again by hand
        await requeue_failed(deps=paris.deps, message_id=troubled.message.id, reason="again")
