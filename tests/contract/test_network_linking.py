"""Linking recoveries into case networks, on every storage: the rules through the outbox,
network membership as links come and go, and linking that does not depend on the order
of writes."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service import batch_linking, network_linking
from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from service.case_networks import decide_on_link
from service.dependencies import Dependencies
from service.domain.access import Role
from service.domain.custody import CustodyEventReport, PartyReport
from service.domain.geography import LocationReport
from service.domain.identity import Agency, AgencyKind
from service.domain.networks.links import LinkKind, LinkStatus
from service.domain.networks.membership import NetworkState
from service.domain.networks.nodes import Node, NodeKind, NodeRef, case_ref, party_ref, recovery_ref
from service.domain.networks.rules import SAME_CASE_RULE, SAME_WEAPON_RULE, rules_in_force
from service.domain.outbox import HandlingFailed, OutboxMessage
from service.domain.persons import PersonReport
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.recovery import Recovery, RecoveryCorrection
from service.domain.trace_request import TraceRequest
from service.linking_worker import NetworkLinkHandler, link_by_rules_in_force, request_rebuild
from service.network_linking import ORDERING_KEY, link_message, link_recovery
from service.outbox_worker import OutboxWorker
from service.recoveries import RecordRecovery, correct_recovery, record_recovery
from service.trace_requests import (
    Acknowledge,
    RequestTrace,
    Respond,
    act_on_trace_request,
    request_trace,
)
from tests.builders import (
    AGENCY_A,
    AGENCY_B,
    NOW,
    actor,
    dependencies_for_tests,
    location,
    new_id,
)
from tests.builders import record_command as located_command
from tests.fakes import Clock


def record_command(*serials: str, case: str = "CASE-1") -> RecordRecovery:
    """A recovery without coordinates: places are linked on in their own tests."""
    return dataclasses.replace(
        located_command(*serials, case=case), location=location(lat=None, lon=None)
    )


INVESTIGATOR_A = actor(Role.INVESTIGATOR, agency=AGENCY_A)
INVESTIGATOR_B = actor(Role.INVESTIGATOR, agency=AGENCY_B)


def deps_for(unit_of_work: Callable[[], UnitOfWork]) -> Dependencies:
    return dependencies_for_tests(unit_of_work, clock=Clock())


async def link_all(deps: Dependencies) -> None:
    worker = OutboxWorker(deps, [NetworkLinkHandler(deps)])
    while await worker.run_once():
        pass


async def network_of(deps: Dependencies, recovery_id: UUID) -> tuple[UUID, int]:
    async with deps.unit_of_work() as uow:
        node = (await uow.networks.nodes([recovery_ref(recovery_id)]))[recovery_ref(recovery_id)]
        states = await uow.networks.network_states([node.network_id])
    return node.network_id, states[node.network_id].size


async def links_of(deps: Dependencies, recovery_id: UUID) -> list[tuple[str, str, float]]:
    async with deps.unit_of_work() as uow:
        node = (await uow.networks.nodes([recovery_ref(recovery_id)]))[recovery_ref(recovery_id)]
        links = await uow.networks.links_touching([node.id])
    return sorted((link.kind.value, link.status.value, link.confidence) for link in links)


async def test_the_same_weapon_in_two_agencies_joins_their_networks(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    deps = deps_for(unit_of_work)
    paris = await record_recovery(
        deps=deps, actor=INVESTIGATOR_A, command=record_command("BXK 482")
    )
    hamburg = await record_recovery(
        deps=deps, actor=INVESTIGATOR_B, command=record_command("ВХК-482", case="HH-77")
    )
    await link_all(deps)

    assert await network_of(deps, paris.id) == await network_of(deps, hamburg.id)
    assert (await network_of(deps, paris.id))[1] == 4  # two recoveries, their two cases
    kinds = [(kind, status) for kind, status, _ in await links_of(deps, paris.id)]
    assert kinds == [("same_case", "proposed"), ("same_weapon", "proposed")]
    async with deps.unit_of_work() as uow:
        node = (await uow.networks.nodes([recovery_ref(paris.id)]))[recovery_ref(paris.id)]
        (weapon,) = await uow.networks.links_touching([node.id], kinds=[LinkKind.SAME_WEAPON])
    assert (weapon.rule, weapon.rule_version) == SAME_WEAPON_RULE
    assert weapon.evidence["match_kind"] == "normalized"
    assert weapon.evidence["other_serial"] in ("BXK 482", "ВХК-482")


async def test_linking_again_changes_nothing(unit_of_work: Callable[[], UnitOfWork]) -> None:
    deps = deps_for(unit_of_work)
    first = await record_recovery(
        deps=deps, actor=INVESTIGATOR_A, command=record_command("C 558021")
    )
    await record_recovery(deps=deps, actor=INVESTIGATOR_A, command=record_command("C558021"))
    await link_all(deps)
    before = await links_of(deps, first.id), await network_of(deps, first.id)
    async with deps.unit_of_work() as uow:
        await link_recovery(deps, uow, first.id)
        await uow.commit()
    assert (await links_of(deps, first.id), await network_of(deps, first.id)) == before


async def test_a_corrected_serial_retracts_the_link_and_splits_the_network(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    deps = deps_for(unit_of_work)
    kept = await record_recovery(deps=deps, actor=INVESTIGATOR_A, command=record_command("QX 1001"))
    misread = await record_recovery(
        deps=deps, actor=INVESTIGATOR_A, command=record_command("QX 1001", case="CASE-2")
    )
    await link_all(deps)
    assert (await network_of(deps, kept.id))[1] == 4
    await correct_recovery(
        deps=deps,
        actor=INVESTIGATOR_A,
        recovery_id=misread.id,
        expected_version=1,
        correction=RecoveryCorrection(item_changes={misread.items[0].id: {"serial": "ZZ 7777"}}),
        reason="re-read under magnification",
    )
    await link_all(deps)
    assert [(k, s) for k, s, _ in await links_of(deps, kept.id)] == [
        ("same_case", "proposed"),
        ("same_weapon", "retracted"),
    ]
    (kept_network, kept_size), (other_network, other_size) = (
        await network_of(deps, kept.id),
        await network_of(deps, misread.id),
    )
    assert kept_network != other_network and (kept_size, other_size) == (2, 2)


async def test_a_partial_or_neighbouring_serial_links_to_no_weapon(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    """`GHK*` fits every Glock of that series, and even `GHK8746?2` (8 of 9 characters)
    is no unique identity; `GHK 874613` is the next serial of the same run. Make, model
    and calibre agree with them all. Each is a lead in a search, never a link by itself;
    the same serial written otherwise is."""
    deps = deps_for(unit_of_work)
    whole = await record_recovery(
        deps=deps, actor=INVESTIGATOR_A, command=record_command("GHK 874612", case="C-1")
    )
    readings = {
        case: await record_recovery(
            deps=deps, actor=INVESTIGATOR_B, command=record_command(serial, case=case)
        )
        for case, serial in [
            ("C-2", "GHK*"),
            ("C-3", "GHK8746?2"),
            ("C-4", "GHK 874613"),
            ("C-5", "ghk-874612"),
        ]
    }
    await link_all(deps)
    for case in ("C-2", "C-3", "C-4"):
        assert [k for k, _, _ in await links_of(deps, readings[case].id)] == ["same_case"]
    assert [(k, s) for k, s, _ in await links_of(deps, readings["C-5"].id)] == [
        ("same_case", "proposed"),
        ("same_weapon", "proposed"),
    ]
    assert (await network_of(deps, whole.id))[0] == (await network_of(deps, readings["C-5"].id))[0]


async def test_a_search_cut_at_its_cap_retracts_no_link(
    unit_of_work: Callable[[], UnitOfWork], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linked again with its serial search cut short (a reading matching more than the
    cap), a recovery keeps the same-weapon links it cannot see, one by one or in a batch."""
    deps = deps_for(unit_of_work)
    recorded = [
        await record_recovery(
            deps=deps, actor=INVESTIGATOR_A, command=record_command("QX 1001", case=f"C-{n}")
        )
        for n in range(3)
    ]
    await link_all(deps)
    ids = [r.id for r in recorded]
    before = await snapshot(deps, ids)
    assert [k for k, _, _ in await links_of(deps, ids[0])].count("same_weapon") == 2
    monkeypatch.setattr(network_linking, "CANDIDATE_CAP", 1)
    monkeypatch.setattr(batch_linking, "CANDIDATE_CAP", 1)
    async with deps.unit_of_work() as uow:
        await link_recovery(deps, uow, ids[0])
        await uow.commit()
    async with deps.unit_of_work() as uow:
        await batch_linking.link_recoveries(deps, uow, ids)
        await uow.commit()
    await link_all(deps)
    assert await snapshot(deps, ids) == before


async def test_a_recount_of_a_network_no_longer_stored_is_done_at_once(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    """A split can narrow a network that the same linking then empties and never
    stores; its recount finds nothing to count instead of failing at every attempt
    (all linking is one ordering key: a message that keeps failing holds up the rest)."""
    deps = deps_for(unit_of_work)
    async with deps.unit_of_work() as uow:
        uow.outbox.add(link_message(deps, {"network_id": str(new_id())}))
        await uow.commit()
    recorded = await record_recovery(deps=deps, actor=INVESTIGATOR_A, command=record_command())
    await link_all(deps)
    async with deps.unit_of_work() as uow:
        backlog = await uow.outbox.backlog()
    assert [(b.topic, b.waiting, b.failed) for b in backlog if b.waiting or b.failed] == []
    assert (await network_of(deps, recorded.id))[1] == 2


class LinkingThatFailsFor(NetworkLinkHandler):
    """Linking with a bug that one recovery's message always runs into."""

    def __init__(self, deps: Dependencies, poison: UUID) -> None:
        super().__init__(deps)
        self._poison = str(poison)

    async def handle(
        self, uow: UnitOfWork, messages: Sequence[OutboxMessage]
    ) -> dict[UUID, HandlingFailed]:
        if any(m.payload.get("recovery_id") == self._poison for m in messages):
            raise RuntimeError("a bug in linking")
        return await super().handle(uow, messages)


async def test_a_linking_message_that_keeps_failing_holds_up_no_other(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    """All linking is one ordering key, to keep it from racing itself: a message that
    fails steps aside behind the others of the key rather than holding every one of
    them up through its retries (hours, with the backoff)."""
    clock = Clock()
    deps = dependencies_for_tests(unit_of_work, clock=clock)
    poison, *others = [
        await record_recovery(
            deps=deps, actor=INVESTIGATOR_A, command=record_command(f"PX {n}", case=f"C-{n}")
        )
        for n in range(3)
    ]
    clock.advance(seconds=1)
    worker = OutboxWorker(deps, [LinkingThatFailsFor(deps, poison.id)])
    while await worker.run_once():
        pass
    for recovery in others:
        assert (await network_of(deps, recovery.id))[1] == 2  # the recovery and its case
    async with deps.unit_of_work() as uow:
        (waiting,) = [e for e in await uow.outbox.by_key(ORDERING_KEY) if e.done_at is None]
    assert waiting.message.payload == {"recovery_id": str(poison.id)}
    assert waiting.message.attempts == 1 and waiting.message.created_at == clock.now()


SERIALS = ["AB 100", "AB100", "АВ-100", "AB 10O", "CD 200", "CD 201", "EF 300"]
# Possessors join what serials keep apart (EF 300 with CD 200), by each kind of identity.
POSSESSORS = [
    None,
    PersonReport("Jean Dupont", document_number="12AB34567", document_country="FR"),
    None,
    PersonReport("Ana Lopes", date(1990, 7, 14)),
    PersonReport("ANA  LOPES", date(1990, 7, 14), "PT"),
    PersonReport("J. Dupont", document_number="12ab-34567", document_country="FR"),
    PersonReport("Ana Lopes", date(1990, 7, 14)),
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=st.permutations(range(len(SERIALS))))
async def test_linking_does_not_depend_on_the_order_of_writes(order: list[int]) -> None:
    """The same recoveries written in any order end in the same links between the same
    facts, and the same networks."""
    outcomes = []
    for sequence in (list(range(len(SERIALS))), order):
        store = InMemoryStore()
        deps = deps_for(lambda store=store: InMemoryUnitOfWork(store))  # type: ignore[misc]
        for index in sequence:
            await record_recovery(
                deps=deps,
                actor=INVESTIGATOR_A,
                command=dataclasses.replace(
                    record_command(SERIALS[index], case=f"CASE-{index}"),
                    possessor=POSSESSORS[index],
                ),
            )
            await link_all(deps)
        cases = {n.id: n.label for n in store.network_nodes.values()}
        standing = {
            (link.kind.value, frozenset((cases[link.source_id], cases[link.target_id])))
            for link in store.network_links.values()
            if link.status in (LinkStatus.PROPOSED, LinkStatus.CONFIRMED)
        }
        groups: dict[UUID, set[str]] = {}
        for node in store.network_nodes.values():
            groups.setdefault(node.network_id, set()).add(f"{node.ref.kind}:{node.label}")
        sizes = {store.networks[n][0].size for n in groups}
        assert sum(1 for n in store.networks.values() if n[0].size > 0) == len(groups)
        assert {len(g) for g in groups.values()} == sizes
        # What each network is made of is kept exact, whatever the order.
        for network_id, (state, _, _) in store.networks.items():
            members = [n for n in store.network_nodes.values() if n.network_id == network_id]
            counted = NetworkState.of(network_id, members)
            assert (state.size, dict(state.nodes_by_agency)) == (
                counted.size,
                dict(counted.nodes_by_agency),
            )
        outcomes.append((standing, {frozenset(g) for g in groups.values()}))
    assert outcomes[0] == outcomes[1]


async def snapshot(deps: Dependencies, recovery_ids: list[UUID]) -> list[object]:
    return [(await links_of(deps, r), await network_of(deps, r)) for r in recovery_ids]


async def test_a_rebuild_changes_nothing_and_a_rejection_survives_it(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    deps = deps_for(unit_of_work)
    recorded = [
        await record_recovery(deps=deps, actor=INVESTIGATOR_A, command=record_command(s, case=c))
        for s, c in (("KL 900", "C-1"), ("KL900", "C-2"), ("MN 12", "C-1"))
    ]
    await link_all(deps)
    async with deps.unit_of_work() as uow:
        node = (await uow.networks.nodes([recovery_ref(recorded[0].id)]))[
            recovery_ref(recorded[0].id)
        ]
        (weapon,) = await uow.networks.links_touching([node.id], kinds=[LinkKind.SAME_WEAPON])
    await decide_on_link(
        deps=deps,
        actor=INVESTIGATOR_A,
        link_id=weapon.id,
        decision=LinkStatus.REJECTED,
        reason="Different frames",
    )
    await link_all(deps)
    ids = [r.id for r in recorded]
    before = await snapshot(deps, ids)
    await request_rebuild(deps, batch=2)  # two batches, and an empty third
    await link_all(deps)
    assert await snapshot(deps, ids) == before
    assert ("same_weapon", "rejected") in [(k, s) for k, s, _ in await links_of(deps, ids[0])]
    # C-1 holds the first and third together; the second stands apart, with its case.
    assert (await network_of(deps, ids[0]))[1] == 3 and (await network_of(deps, ids[1]))[1] == 2


async def with_agencies(unit_of_work: Callable[[], UnitOfWork]) -> Dependencies:
    if isinstance(unit_of_work(), InMemoryUnitOfWork):  # agencies come with SQL's reset
        async with unit_of_work() as uow:
            for agency in (AGENCY_A, AGENCY_B):
                uow.agencies.add(Agency(agency, f"Agency {agency}", "FR", AgencyKind.POLICE, NOW))
            await uow.commit()
    return deps_for(unit_of_work)


async def traced(
    deps: Dependencies, recovery: Recovery, chain: list[CustodyEventReport]
) -> TraceRequest:
    """Agency A asks agency B to trace the recovery's first item; B answers with `chain`."""
    officer = actor(Role.TRACING_OFFICER, agency=AGENCY_B)
    request = await request_trace(
        deps=deps,
        actor=INVESTIGATOR_A,
        command=RequestTrace(
            recovery_id=recovery.id,
            item_id=recovery.items[0].id,
            addressee_agency_id=AGENCY_B,
            legal_justification="Seized in a search.",
            intended_use="Investigation",
            priority="routine",
            submit=True,
        ),
    )
    acknowledged = await act_on_trace_request(
        deps=deps,
        actor=officer,
        request_id=request.id,
        expected_version=2,
        command=Acknowledge(),
    )
    return await act_on_trace_request(
        deps=deps,
        actor=officer,
        request_id=request.id,
        expected_version=acknowledged.version,
        command=Respond("traced", chain),
    )


async def test_two_traces_naming_the_same_dealer_meet_at_that_party(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    deps = await with_agencies(unit_of_work)
    dealer = PartyReport("Armurerie Centrale", "dealer", "FR", "FR-ARM-0042")
    recovered = []
    for serial, case in (("PP 1", "C-1"), ("QQ 2", "C-2")):
        recovery = await record_recovery(
            deps=deps, actor=INVESTIGATOR_A, command=record_command(serial, case=case)
        )
        await traced(deps, recovery, [CustodyEventReport("sale", date(2020, 5, 1), dealer)])
        recovered.append(recovery.id)
    await link_all(deps)
    first, second = [await network_of(deps, r) for r in recovered]
    assert first == second and first[1] == 5  # two recoveries, two cases, one dealer
    kinds = [k for k, _, _ in await links_of(deps, recovered[0])]
    assert kinds == ["same_case", "same_source"]


async def test_a_possessor_met_by_two_agencies_and_named_as_a_purchaser_is_one_person(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    deps = await with_agencies(unit_of_work)
    document = {"document_number": "12AB34567", "document_country": "FR"}
    paris = await record_recovery(
        deps=deps,
        actor=INVESTIGATOR_A,
        command=dataclasses.replace(
            record_command("RR 1", case="C-1"), possessor=PersonReport("Jean Dupont", **document)
        ),
    )
    hamburg = await record_recovery(
        deps=deps,
        actor=INVESTIGATOR_B,
        command=dataclasses.replace(
            record_command("SS 2", case="HH-1"),
            possessor=PersonReport(
                "DUPONT, Jean", document_number="12ab 34567", document_country="FR"
            ),
        ),
    )
    lyon = await record_recovery(
        deps=deps, actor=INVESTIGATOR_A, command=record_command("TT 3", case="C-3")
    )
    dealer = PartyReport("Armurerie Centrale", "dealer", "FR", "FR-ARM-0042")
    buyer = PartyReport("Jean Dupont", "retail_purchaser", "FR", "12AB-34567")
    await traced(
        deps,
        lyon,
        [
            CustodyEventReport("sale", date(2020, 5, 1), dealer),
            CustodyEventReport("sale", date(2020, 5, 1), buyer),
            CustodyEventReport("reported_stolen", date(2023, 9, 4), buyer),
        ],
    )
    await link_all(deps)
    networks = {await network_of(deps, r.id) for r in (paris, hamburg, lyon)}
    # Three recoveries, three cases, one person, one dealer.
    assert [size for _, size in networks] == [8]
    assert await links_of(deps, lyon.id) == [
        ("same_case", "proposed", 1.0),
        ("same_person", "proposed", 1.0),
        ("same_source", "proposed", 1.0),
    ]
    async with deps.unit_of_work() as uow:
        node = (await uow.networks.nodes([recovery_ref(lyon.id)]))[recovery_ref(lyon.id)]
        (bought,) = await uow.networks.links_touching([node.id], kinds=[LinkKind.SAME_PERSON])
    # Named twice in the chain, one link: its evidence is the purchase, the first event.
    assert (bought.evidence["event"], bought.evidence["position"]) == ("sale", 1)

    await correct_recovery(
        deps=deps,
        actor=INVESTIGATOR_B,
        recovery_id=hamburg.id,
        expected_version=1,
        correction=RecoveryCorrection(remove_possessor=True),
        reason="possessor recorded on the wrong seizure",
    )
    await link_all(deps)
    assert (await network_of(deps, hamburg.id))[1] == 2
    assert ("same_person", "retracted", 1.0) in await links_of(deps, hamburg.id)
    assert (await network_of(deps, paris.id))[1] == 6


async def test_a_worker_starting_on_changed_rules_links_everything_again_once(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    deps = deps_for(unit_of_work)
    recorded = [
        await record_recovery(
            deps=deps, actor=INVESTIGATOR_A, command=record_command(s, case="C-1")
        )
        for s in ("UV 1", "UV 1", "UV 1")
    ]
    await link_all(deps)
    # Links made by an older release: one rule at version 0.
    async with deps.unit_of_work() as uow:
        node = (await uow.networks.nodes([recovery_ref(recorded[0].id)]))[
            recovery_ref(recorded[0].id)
        ]
        (case,) = await uow.networks.links_touching([node.id], kinds=[LinkKind.SAME_CASE])
        uow.networks.update_link(dataclasses.replace(case, rule_version=0))
        applied = await uow.networks.rules_applied()
        uow.networks.record_rules("same-case/0", replacing=applied, at=NOW)
        await uow.commit()

    # Two workers start at once: one asks for the rebuild, the other finds it asked.
    first, second = (OutboxWorker(deps, [NetworkLinkHandler(deps)]) for _ in range(2))
    asked = await asyncio.gather(link_by_rules_in_force(deps), link_by_rules_in_force(deps))
    assert sorted(asked) == [False, True]
    await first.prepare()
    await second.prepare()
    async with deps.unit_of_work() as uow:
        assert await uow.networks.rules_applied() == rules_in_force()
    await link_all(deps)
    async with deps.unit_of_work() as uow:
        again = await uow.networks.link(case.id)
    assert again is not None and again.rule_version == SAME_CASE_RULE[1]


async def test_a_fresh_database_takes_the_rules_in_force_without_a_rebuild(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    deps = deps_for(unit_of_work)
    # Recorded before any worker ran (the demo is loaded so): waiting to be linked.
    recorded = await record_recovery(
        deps=deps, actor=INVESTIGATOR_A, command=record_command("WX 1")
    )
    assert await link_by_rules_in_force(deps) is False
    async with deps.unit_of_work() as uow:
        assert await uow.networks.rules_applied() == rules_in_force()
        assert [e.message.topic for e in await uow.outbox.by_key(ORDERING_KEY)] == ["network.link"]
    await link_all(deps)
    assert (await network_of(deps, recorded.id))[1] == 2


async def test_links_made_before_rules_were_recorded_are_made_again() -> None:
    store = InMemoryStore()
    deps = deps_for(lambda: InMemoryUnitOfWork(store))
    recorded = await record_recovery(
        deps=deps, actor=INVESTIGATOR_A, command=record_command("WX 2")
    )
    await link_all(deps)
    store.network_rules = None  # a database linked by a release that did not record rules
    assert await link_by_rules_in_force(deps) is True
    await link_all(deps)
    assert store.network_rules == rules_in_force()
    assert (await network_of(deps, recorded.id))[1] == 2


async def test_a_backlog_of_recoveries_is_linked_together_as_one_at_a_time_would(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    """Recorded faster than they are linked one by one, recoveries wait behind each
    other (all linking is one ordering key); the worker holding the first links those
    behind it with it, set-based, and the networks are those of linking one by one."""
    deps = deps_for(unit_of_work)
    recorded = [
        await record_recovery(
            deps=deps, actor=INVESTIGATOR_A, command=record_command(f"BX {n % 5}", case=f"C{n}")
        )
        for n in range(40)
    ]
    worker = OutboxWorker(deps, [NetworkLinkHandler(deps)])
    rounds = 0
    while await worker.run_once():
        rounds += 1
    assert rounds < 10, "linked one message at a time"
    async with deps.unit_of_work() as uow:
        assert [b for b in await uow.outbox.backlog() if b.waiting] == []

    store = InMemoryStore()
    one_by_one = deps_for(lambda: InMemoryUnitOfWork(store))
    again = [
        await record_recovery(
            deps=one_by_one, actor=INVESTIGATOR_A,
            command=record_command(f"BX {n % 5}", case=f"C{n}"),
        )
        for n in range(40)
    ]  # fmt: skip
    for recovery in again:
        async with one_by_one.unit_of_work() as uow:
            await link_recovery(one_by_one, uow, recovery.id)
            await uow.commit()
    for batched, alone in zip(recorded, again, strict=True):
        assert (await network_of(deps, batched.id))[1] == (await network_of(one_by_one, alone.id))[
            1
        ]
        assert await links_of(deps, batched.id) == await links_of(one_by_one, alone.id)


async def node(deps: Dependencies, ref: NodeRef) -> Node:
    async with deps.unit_of_work() as uow:
        return (await uow.networks.nodes([ref]))[ref]


async def labels(deps: Dependencies, recovery_id: UUID) -> list[tuple[str, str]]:
    """(kind, label) of the nodes the recovery's standing links reach."""
    async with deps.unit_of_work() as uow:
        own = await node(deps, recovery_ref(recovery_id))
        links = await uow.networks.links_touching([own.id], standing_only=True)
        ends = {end for link in links for end in (link.source_id, link.target_id)}
        nodes = await uow.networks.nodes_by_id(ends | {own.id})
    return sorted((n.ref.kind.value, n.label) for n in nodes.values())


async def test_a_corrected_recovery_is_described_as_it_now_stands(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    """Its node's label (its case reference), time and country follow a correction, as
    do its case and what its network spans; the other recovery keeps its own."""
    deps = deps_for(unit_of_work)
    corrected, other = [
        await record_recovery(deps=deps, actor=INVESTIGATOR_A, command=record_command(s, case=c))
        for s, c in (("LB 1", "LBL-OLD"), ("LB 2", "LBL-OLD"))
    ]
    await link_all(deps)
    assert await labels(deps, corrected.id) == [("case", "LBL-OLD"), ("recovery", "LBL-OLD")]
    when = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    await correct_recovery(
        deps=deps,
        actor=INVESTIGATOR_A,
        recovery_id=corrected.id,
        expected_version=1,
        correction=RecoveryCorrection(
            case_reference="LBL-NEW",
            recovered_at=when,
            location=LocationReport("Kehl", "DE", None, None),
        ),
        reason="typo",
    )
    await link_all(deps)
    assert await labels(deps, corrected.id) == [("case", "LBL-NEW"), ("recovery", "LBL-NEW")]
    assert await labels(deps, other.id) == [("case", "LBL-OLD"), ("recovery", "LBL-OLD")]
    own = await node(deps, recovery_ref(corrected.id))
    assert (own.occurred_at, own.country) == (when, "DE")
    async with deps.unit_of_work() as uow:
        state = (await uow.networks.network_states([own.network_id]))[own.network_id]
        assert state == await uow.networks.counted_state(own.network_id)
    assert (state.countries, state.first_at) == (frozenset({"DE"}), when)

    # The same case written otherwise is the same case node, labelled as now written.
    await correct_recovery(
        deps=deps,
        actor=INVESTIGATOR_A,
        recovery_id=corrected.id,
        expected_version=2,
        correction=RecoveryCorrection(case_reference="lbl-new"),
        reason="as the file writes it",
    )
    await link_all(deps)
    assert await labels(deps, corrected.id) == [("case", "lbl-new"), ("recovery", "lbl-new")]
    case = await node(deps, case_ref(AGENCY_A, "LBL-NEW"))
    assert case.label == "lbl-new"


async def test_a_party_named_anew_in_a_later_answer_is_labelled_as_it_names_it(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    """A dealer known by its licence keeps its node when a supplementary answer spells
    its name right; the node's label is the name as now answered."""
    deps = await with_agencies(unit_of_work)
    recovery = await record_recovery(
        deps=deps, actor=INVESTIGATOR_A, command=record_command("PP 9", case="C-9")
    )
    misspelt = PartyReport("Armurerie Centarle", "dealer", "FR", "FR-ARM-0042")
    answered = await traced(
        deps, recovery, [CustodyEventReport("sale", date(2020, 5, 1), misspelt)]
    )
    await link_all(deps)
    dealer = party_ref("Armurerie Centrale", "FR", "FR-ARM-0042")
    assert (await node(deps, dealer)).label == "Armurerie Centarle (dealer, FR)"
    spelt = dataclasses.replace(misspelt, name="Armurerie Centrale")
    await act_on_trace_request(
        deps=deps,
        actor=actor(Role.TRACING_OFFICER, agency=AGENCY_B),
        request_id=answered.id,
        expected_version=answered.version,
        command=Respond("traced", [CustodyEventReport("sale", date(2020, 5, 1), spelt)]),
    )
    await link_all(deps)
    assert (await node(deps, dealer)).label == "Armurerie Centrale (dealer, FR)"
    assert [k for k, _ in await labels(deps, recovery.id)].count("party") == 1


async def test_a_rebuild_describes_every_node_as_its_facts_stand(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    """Nodes written before labels followed their facts are described anew by a rebuild;
    a node only another recovery's serial match made is described once its own recovery
    is linked (a match knows no country)."""
    deps = deps_for(unit_of_work)
    first, second = [
        await record_recovery(deps=deps, actor=INVESTIGATOR_A, command=record_command(s, case=c))
        for s, c in (("RB 77", "RB-1"), ("RB77", "RB-2"))
    ]
    await link_all(deps)
    described = {r: await node(deps, recovery_ref(r)) for r in (first.id, second.id)}
    async with deps.unit_of_work() as uow:
        for stale in described.values():
            uow.networks.describe_node(
                dataclasses.replace(stale, label="stale", occurred_at=None, country=None)
            )
        await uow.commit()
    await request_rebuild(deps, batch=1)
    await link_all(deps)
    assert {r: await node(deps, recovery_ref(r)) for r in described} == described
    assert [n.country for n in described.values()] == ["FR", "FR"]
    assert [(n.ref.kind, n.label) for n in described.values()] == [
        (NodeKind.RECOVERY, "RB-1"),
        (NodeKind.RECOVERY, "RB-2"),
    ]
