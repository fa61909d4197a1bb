"""What every command leaves behind, frozen: its audit events and its outbox messages.

One scenario takes every command that changes state (and the reads that are audited)
through the use cases, on the in-memory adapters, with a fixed clock. What they wrote is
compared, payload by payload and in order, with `side_effects.json` beside this file:
how side effects are produced may change, what they say may not (an audit export made
before still verifies, a peer still reads the same messages).

Identifiers are written as the order in which they first appear (`#1`, `#2`, ...), so
that the comparison does not depend on when ids are drawn. To record the file again,
after a deliberate change of what a command writes: TRACEDESK_RECORD_SIDE_EFFECTS=1.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from service import accounts, console_sessions
from service.adapters.bootstrap import outbox_worker
from service.adapters.memory import InMemoryActorDirectory, InMemoryStore, InMemoryUnitOfWork
from service.adapters.reference_catalogue import packaged_catalogue
from service.adapters.registries.memory import InMemoryRegistry
from service.adapters.tabular import open_rows
from service.adapters.tabular.mapping import ColumnMapping
from service.case_networks import MakeLink, decide_on_link, make_link, recovery_network
from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.custody import CustodyEventReport, PartyReport
from service.domain.errors import InvalidValue, TooManyAttempts, Unauthenticated
from service.domain.federation import ExchangedThreadMessage
from service.domain.import_fields import ReadingRules
from service.domain.imports import ImportFormat, ImportSource
from service.domain.items import FirearmReport
from service.domain.networks.links import LinkKind, LinkStatus
from service.domain.persons import PersonReport
from service.domain.ports.audit import AuditFilter
from service.domain.ports.recoveries import RecoveryFilter
from service.domain.ports.tracing import Box, TraceRequestFilter
from service.domain.recovery import RecoveryCorrection
from service.domain.registry import RegistryRecord, RegistryRecordReport
from service.domain.trace_workflow import TraceAction
from service.item_photos import AttachPhoto, attach_photo
from service.outbox_operations import outbox_troubles, requeue_failed
from service.recoveries import RecordRecovery, correct_recovery, record_recovery
from service.recovery_export import export_recoveries
from service.recovery_import import claim_import, queue_import, run_import
from service.registry_import import import_registry
from service.registry_search import search_registry
from service.serial_search import search_serials
from service.trace_federation import receive_trace_exchange
from service.trace_requests import (
    Acknowledge,
    Close,
    Decline,
    ProvideInformation,
    RequestInformation,
    RequestTrace,
    Respond,
    Withdraw,
    act_on_trace_request,
    get_trace_request,
    list_trace_requests,
    post_message,
    request_trace,
)
from tests.builders import dependencies_for_tests, location
from tests.fakes import CountingIds, CountingSecrets, LabelledImages, Peer, SteppingClock

RECORDED = Path(__file__).with_name("side_effects.json")
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PASSWORD = "a long enough password"


def _deps(store: InMemoryStore, peer: Peer) -> Dependencies:
    catalogue = packaged_catalogue()
    base = dependencies_for_tests(
        lambda: InMemoryUnitOfWork(store),
        clock=SteppingClock(START),
        catalogue=catalogue,
        actors=InMemoryActorDirectory(store),
    )
    records = [
        RegistryRecord.read(
            RegistryRecordReport("IA-7", "stolen", "ABC 123", make="Glock", country="DE"),
            registry="iarms",
            catalogue=catalogue,
        )
    ]
    return dataclasses.replace(
        base,
        ids=CountingIds(),
        secrets=CountingSecrets(),
        registries={"iarms": InMemoryRegistry("iarms", records, catalogue)},
        shared_registries=frozenset({"iarms"}),
        trace_channel=peer,
        images=LabelledImages(),
    )


async def _work(deps: Dependencies) -> None:
    worker = outbox_worker(deps)
    while await worker.run_once():
        pass


CHAIN = [
    CustodyEventReport(
        "manufacture", date(2015, 3, 10), PartyReport("Glock GmbH", "manufacturer", "AT")
    ),
    CustodyEventReport(
        "import", date(2015, 4, 20), PartyReport("Waffen Nord", "importer", "DE", "DE-1")
    ),
    CustodyEventReport(
        "sale", date(2016, 2, 11), PartyReport("Max Mustermann", "retail_purchaser", "DE", "L01")
    ),
]


async def scenario(deps: Dependencies, peer: Peer) -> None:  # noqa: PLR0915 - one story
    paris = await accounts.register_agency(deps=deps, name="Paris PJ", country="FR", kind="police")
    hamburg = await accounts.register_agency(
        deps=deps, name="LKA Hamburg", country="DE", kind="police"
    )
    bka = await accounts.register_agency(
        deps=deps, name="BKA", country="DE", kind="police", peer="berlin"
    )

    async def person(agency: UUID, name: str, *roles: str) -> Actor:
        user = await accounts.register_user(
            deps=deps,
            agency_id=agency,
            username=name,
            display_name=name.title(),
            roles=list(roles),
            password=PASSWORD,
        )
        return user.as_actor()

    investigator = await person(paris.id, "inv", "investigator")
    supervisor = await person(paris.id, "sup", "supervisor")
    officer = await person(hamburg.id, "officer", "tracing_officer")
    leaver = await person(hamburg.id, "leaver", "investigator")

    # Signing in, out, and guessing.
    signed = await accounts.sign_in(deps=deps, username="inv", password=PASSWORD)
    assert signed.refresh is not None
    await accounts.refresh_access(deps=deps, refresh_token=signed.refresh)
    for _ in range(2):
        try:
            await accounts.refresh_access(deps=deps, refresh_token=signed.refresh)
        except Unauthenticated:
            pass
    again = await accounts.sign_in(deps=deps, username="inv", password=PASSWORD)
    assert again.refresh is not None
    await accounts.revoke_refresh(deps=deps, refresh_token=again.refresh)
    for attempt in range(6):
        try:
            await accounts.sign_in(deps=deps, username="leaver", password=f"wrong {attempt}")
        except (Unauthenticated, TooManyAttempts):
            pass
    await accounts.disable_user(deps=deps, user_id=leaver.id, reason="left the service")

    # Integrations.
    lab = await accounts.register_service_account(
        deps=deps, agency_id=paris.id, name="lab", scopes=["recoveries:read"]
    )
    key = await accounts.issue_api_key(deps=deps, service_account_id=lab.id, actor=supervisor)
    try:
        await accounts.exchange_client_credentials(
            deps=deps, client_id=key.client_id, client_secret="wrong"
        )
    except Unauthenticated:
        pass
    await accounts.exchange_client_credentials(
        deps=deps, client_id=key.client_id, client_secret=key.secret
    )
    await accounts.revoke_api_key(deps=deps, public_id=key.client_id, reason="rotation")
    berlin = await accounts.register_service_account(
        deps=deps, agency_id=bka.id, name="berlin", scopes=["federation:exchange"]
    )

    # Recoveries, their checks and their links.
    def recovered(serial: str, case: str, possessor: PersonReport | None = None) -> RecordRecovery:
        return RecordRecovery(
            case_reference=case,
            recovered_at=datetime(2026, 11, 1, 10, 30, tzinfo=UTC),
            location=location(),
            circumstances="crime_scene",  # type: ignore[arg-type]
            items=[FirearmReport(make="Glock", model="17", calibre="9mm", serial=serial)],
            possessor=possessor,
        )

    first = await record_recovery(
        deps=deps,
        actor=investigator,
        command=recovered("ABC 123", "CASE-1", PersonReport("Max Mustermann", born_on=None)),
    )
    second = await record_recovery(
        deps=deps, actor=investigator, command=recovered("ABC-123", "CASE-2")
    )
    await correct_recovery(
        deps=deps,
        actor=investigator,
        recovery_id=second.id,
        expected_version=1,
        correction=RecoveryCorrection(case_reference="CASE-2b"),
        reason="typo",
    )
    await _work(deps)
    await search_serials(deps=deps, actor=investigator, serial="ABC123", make="Glock")
    await search_registry(deps=deps, actor=officer, registry="iarms", serial="abc 123")
    view = await recovery_network(deps=deps, actor=investigator, recovery_id=first.id)
    same = next(link for link in view.links if link.kind is LinkKind.SAME_WEAPON)
    await decide_on_link(
        deps=deps,
        actor=investigator,
        link_id=same.id,
        decision=LinkStatus.CONFIRMED,
        reason="same frame",
    )
    case_link = next(link for link in view.links if link.kind is LinkKind.SAME_CASE)
    await decide_on_link(
        deps=deps,
        actor=supervisor,
        link_id=case_link.id,
        decision=LinkStatus.REJECTED,
        reason="wrong case",
    )
    third = await record_recovery(
        deps=deps, actor=investigator, command=recovered("ZZ 9", "CASE-3")
    )
    await _work(deps)
    await make_link(
        deps=deps,
        actor=investigator,
        command=MakeLink(
            kind="ballistic",
            from_recovery=first.id,
            to_recovery=third.id,
            rationale="cartridge cases match",
            reference="IBIS-77",
            confidence=0.9,
        ),
    )
    await import_registry(
        deps=deps,
        actor=None,
        registry="national",
        records=[
            RegistryRecord.read(
                RegistryRecordReport("N-1", "registered", "QQ 1"),
                registry="national",
                catalogue=deps.catalogue,
            )
        ],
        source="national.ndjson sha256:00",
    )

    # Tracing between two agencies here: asked, questioned, answered, closed.
    async def step(who: Actor, request_id: UUID, version: int, command: Any) -> int:
        request = await act_on_trace_request(
            deps=deps, actor=who, request_id=request_id, expected_version=version, command=command
        )
        return request.version

    def ask(recovery_id: UUID, item_id: UUID, addressee: UUID, submit: bool) -> RequestTrace:
        return RequestTrace(
            recovery_id=recovery_id,
            item_id=item_id,
            addressee_agency_id=addressee,
            legal_justification="Armed robbery.",
            intended_use="Prosecution.",
            priority="routine",
            submit=submit,
        )

    asked = await request_trace(
        deps=deps, actor=investigator, command=ask(first.id, first.items[0].id, hamburg.id, True)
    )
    version = await step(officer, asked.id, asked.version, Acknowledge())
    version = await step(officer, asked.id, version, RequestInformation("Which frame?"))
    version = await step(investigator, asked.id, version, ProvideInformation("The old one."))
    await post_message(deps=deps, actor=officer, request_id=asked.id, body="Found it.")
    version = await step(officer, asked.id, version, Respond("traced", CHAIN, "Sold in 2016."))
    await get_trace_request(deps=deps, actor=officer, request_id=asked.id)
    await list_trace_requests(
        deps=deps,
        actor=officer,
        box=Box.INBOX,
        request_filter=TraceRequestFilter(),
        after=None,
        limit=10,
    )
    await step(supervisor, asked.id, version, Close())
    refused = await request_trace(
        deps=deps, actor=investigator, command=ask(second.id, second.items[0].id, hamburg.id, True)
    )
    await step(officer, refused.id, refused.version, Decline("Ongoing investigation."))
    drafted = await request_trace(
        deps=deps, actor=investigator, command=ask(third.id, third.items[0].id, hamburg.id, False)
    )
    await step(investigator, drafted.id, drafted.version, Withdraw("Not needed."))
    await _work(deps)

    # Tracing with an agency on another instance: sent, answered there, received here.
    abroad = await request_trace(
        deps=deps, actor=investigator, command=ask(third.id, third.items[0].id, bka.id, True)
    )
    await post_message(deps=deps, actor=investigator, request_id=abroad.id, body="Urgent.")
    await _work(deps)
    integration = Actor(berlin.id, berlin.as_actor().kind, bka.id, scopes=berlin.scopes)
    submitted = next(e for e in peer.sent if e.action is TraceAction.SUBMIT)
    answer = dataclasses.replace(
        submitted,
        message_id=deps.ids.new_id(),
        action=TraceAction.ACKNOWLEDGE,
        sender_agency_id=bka.id,
        recipient_agency_id=paris.id,
        version=3,
        request=None,
        at=START + timedelta(minutes=5),  # a peer's clock a little ahead of ours
    )
    await receive_trace_exchange(deps=deps, actor=integration, exchange=answer)
    await receive_trace_exchange(deps=deps, actor=integration, exchange=answer)  # again
    written = dataclasses.replace(
        answer,
        message_id=deps.ids.new_id(),
        action=None,
        thread_message=ExchangedThreadMessage(id=deps.ids.new_id(), body="We have it."),
    )
    await receive_trace_exchange(deps=deps, actor=integration, exchange=written)
    incoming = dataclasses.replace(
        submitted,
        message_id=deps.ids.new_id(),
        request_id=deps.ids.new_id(),
        sender_agency_id=bka.id,
        recipient_agency_id=paris.id,
        request=dataclasses.replace(
            submitted.request,  # type: ignore[arg-type]
            requester_agency_id=bka.id,
            addressee_agency_id=paris.id,
        ),
    )
    await receive_trace_exchange(deps=deps, actor=integration, exchange=incoming)

    # A peer that refuses: the delivery is set aside, then sent again by an operator.
    peer.refuse = True
    await post_message(deps=deps, actor=investigator, request_id=abroad.id, body="Anyone?")
    await _work(deps)
    peer.refuse = False
    (trouble,) = await outbox_troubles(deps=deps)
    await requeue_failed(deps=deps, message_id=trouble.message.id, reason="key renewed")
    await _work(deps)

    # The console: a session, a new password that ends the others, preferences, sign-out.
    desk = await console_sessions.start_session(deps=deps, username="inv", password=PASSWORD)
    laptop = await console_sessions.start_session(deps=deps, username="inv", password=PASSWORD)
    holder = await console_sessions.session_holder(deps=deps, secret=desk.secret)
    try:
        await console_sessions.change_password(
            deps=deps, holder=holder, current="not it", new=PASSWORD + " 2"
        )
    except InvalidValue:
        pass
    await console_sessions.change_password(
        deps=deps, holder=holder, current=PASSWORD, new=PASSWORD + " 2"
    )
    await console_sessions.choose_preferences(
        deps=deps, holder=holder, language="fr", time_zone="Europe/Paris"
    )
    await console_sessions.end_session(deps=deps, secret=desk.secret)
    await console_sessions.end_session(deps=deps, secret=laptop.secret)

    # An import: its batch checked and linked together, a rejected row; then an export.
    await _import(deps, investigator)
    await _work(deps)
    pages = await export_recoveries(
        deps=deps,
        actor=supervisor,
        recovery_filter=RecoveryFilter(case_reference="LAB-1"),
        format="csv",
    )
    assert [r.case_reference async for page in pages for r in page] == ["LAB-1"]

    # A photo of a marking: the audit event keeps the digests of the photo and thumbnail.
    await attach_photo(
        deps=deps,
        actor=investigator,
        command=AttachPhoto(first.id, first.items[0].id, PHOTO, caption="Left side of the slide"),
    )


# Read as a PNG by its first bytes; LabelledImages decodes anything.
PHOTO = b"\x89PNG\r\n\x1a\n" + b"a photo of the slide's left side"

IMPORTED = [
    {
        "recovery_key": "L1",
        "case_reference": "LAB-1",
        "recovered_at": "2026-11-02T08:00:00Z",
        "location_description": "Le Havre",
        "location_country": "FR",
        "circumstances": "border_seizure",
        "make": "Glock",
        "serial": "ABC-123",
    },
    {"recovery_key": "L1", "item_kind": "ammunition", "calibre": "9mm", "quantity": 50},
    {
        "recovery_key": "L2",
        "case_reference": "LAB-2",
        "recovered_at": "2026-11-02 08:00",
        "location_description": "Le Havre",
        "location_country": "FR",
        "circumstances": "seizure",
    },
]


async def _import(deps: Dependencies, by: Actor) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "lab.ndjson"
        path.write_text("".join(json.dumps(row) + "\n" for row in IMPORTED), encoding="utf-8")
        source = ImportSource("lab.ndjson", ImportFormat.NDJSON, path.stat().st_size, "ab" * 32)
        job = await queue_import(
            deps=deps, actor=by, source=source, all_or_nothing=False, mapping=None
        )
        claimed = await claim_import(deps=deps, job_id=job.id)
        assert claimed is not None
        job, acting = claimed
        await run_import(
            deps=deps,
            job=job,
            actor=acting,
            open_rows=lambda: open_rows(path, ImportFormat.NDJSON, ColumnMapping()),
            rules=ReadingRules(),
        )


async def side_effects(store: InMemoryStore, deps: Dependencies) -> dict[str, Any]:
    async with deps.unit_of_work() as uow:
        stored = await uow.audit.events(AuditFilter(), after_seq=None, limit=10_000)
    events = [
        {
            "action": e.action,
            "entity_type": e.entity_type,
            "entity_id": e.entity_id,
            "actor_id": e.actor_id,
            "actor_kind": e.actor_kind,
            "actor_agency_id": e.actor_agency_id,
            "changes": e.changes,
            "reason": e.reason,
            "occurred_at": e.occurred_at,
        }
        for e in (s.event for s in reversed(stored))
    ]
    messages = [
        {
            "topic": q.message.topic,
            "payload": q.message.payload,
            "ordering_key": q.message.ordering_key,
            "subject": q.message.subject,
        }
        for q in sorted(store.outbox.values(), key=lambda q: (q.message.created_at, q.message.id))
    ]
    return {"audit_events": events, "outbox_messages": messages}


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def canonical(document: Any) -> Any:
    """The document as JSON, each id replaced by the order of its first appearance, and
    times by their offset from the scenario's start in whole seconds dropped: only their
    order matters, not when in the scenario a clock was read."""
    text = json.dumps(document, default=str, sort_keys=True)
    seen: dict[str, str] = {}
    text = _UUID.sub(lambda m: seen.setdefault(m.group(0), f"#{len(seen) + 1}"), text)
    return json.loads(text)


async def test_every_command_writes_what_it_wrote_before() -> None:
    store, peer = InMemoryStore(), Peer()
    deps = _deps(store, peer)
    await scenario(deps, peer)
    found = canonical(await side_effects(store, deps))
    for event in found["audit_events"]:
        event.pop("occurred_at")
    if os.environ.get("TRACEDESK_RECORD_SIDE_EFFECTS") == "1":
        RECORDED.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    assert [e["action"] for e in found["audit_events"]] == [
        e["action"] for e in recorded["audit_events"]
    ]
    for position, (now, before) in enumerate(
        zip(found["audit_events"], recorded["audit_events"], strict=True)
    ):
        assert now == before, position
    assert found["outbox_messages"] == recorded["outbox_messages"]
