"""The audit trail over HTTP: who may read and verify it, and what it shows."""

from __future__ import annotations

import asyncio

from tests.api.conftest import Api


async def eventually_events(api: Api, token: str, **params: str) -> list[dict]:  # type: ignore[type-arg]
    """Reads are recorded in batches within 50 ms; wait for them."""
    for _ in range(100):
        found = (
            await api.client.get(
                "/api/v1/audit/events", params=params, headers={"Authorization": token}
            )
        ).json()["events"]
        if found:
            return found  # type: ignore[no-any-return]
        await asyncio.sleep(0.02)
    return []


async def test_auditors_see_and_verify_what_their_agency_did(api: Api) -> None:
    investigator = await api.user("investigator")
    auditor = await api.user("auditor")
    created = (await api.record(investigator)).json()
    await api.client.patch(
        f"/api/v1/recoveries/{created['id']}",
        json={"reason": "typo in the case reference", "case_reference": "CASE-7"},
        headers={"Authorization": investigator, "If-Match": '"v1"'},
    )
    verified = (
        await api.client.get("/api/v1/audit/verify", headers={"Authorization": auditor})
    ).json()
    assert verified["status"] == "ok" and verified["count"] >= 2
    head = (await api.client.get("/api/v1/audit/head", headers={"Authorization": auditor})).json()
    assert head == {"seq": verified["head_seq"], "hash": verified["head_hash"]}

    corrected = (
        await api.client.get(
            "/api/v1/audit/events",
            params={"entity_id": created["id"], "action": "recovery.corrected"},
            headers={"Authorization": auditor},
        )
    ).json()["events"]
    assert [e["reason"] for e in corrected] == ["typo in the case reference"]
    assert corrected[0]["changes"]["fields"]["case_reference"] == {
        "before": "CASE-2026-0042",
        "after": "CASE-7",
    }
    assert corrected[0]["request_id"]


async def test_the_history_of_a_recovery_is_for_those_who_may_see_it(api: Api) -> None:
    investigator = await api.user("investigator")
    created = (await api.record(investigator)).json()
    history = await api.client.get(
        f"/api/v1/recoveries/{created['id']}/history", headers={"Authorization": investigator}
    )
    assert [e["action"] for e in history.json()["events"]] == ["recovery.recorded"]
    recorded = history.json()["events"][0]["changes"]["recorded"]
    assert recorded["items"][0]["serial"] == "ABC 123" and recorded["location"]["lat"] == "48.85"
    other = await api.user("supervisor", "b")
    refused = await api.client.get(
        f"/api/v1/recoveries/{created['id']}/history", headers={"Authorization": other}
    )
    assert refused.status_code == 404


async def test_auditors_read_a_recovery_history_but_not_the_recovery(api: Api) -> None:
    """What an auditor is for (domain notes: a recovery's history, own agency; a system
    auditor every agency's), and what the tour shows."""
    created = (await api.record(await api.user("investigator"))).json()
    history = f"/api/v1/recoveries/{created['id']}/history"
    for role, agency, status in [
        ("auditor", "a", 200),
        ("system_auditor", "b", 200),
        ("auditor", "b", 404),
        ("tracing_officer", "a", 403),
        ("admin", "a", 403),
    ]:
        token = await api.user(role, agency)
        answer = await api.client.get(history, headers={"Authorization": token})
        assert answer.status_code == status, (role, agency, answer.text)
        if status == 200:
            assert [e["action"] for e in answer.json()["events"]] == ["recovery.recorded"]
    auditor = await api.login("auditor.a")
    recovery = await api.client.get(
        f"/api/v1/recoveries/{created['id']}", headers={"Authorization": auditor}
    )
    assert recovery.status_code == 403


async def test_serial_searches_are_recorded_with_their_query_and_result_count(api: Api) -> None:
    investigator = await api.user("investigator")
    auditor = await api.user("auditor")
    await api.client.get(
        "/api/v1/search/serials",
        params={"serial": "QX 999"},
        headers={"Authorization": investigator},
    )
    (searched,) = await eventually_events(api, auditor, action="serial.searched")
    assert searched["changes"]["serial"] == "QX 999" and searched["changes"]["results"] == 0


async def test_other_agencies_auditors_do_not_see_these_events(api: Api) -> None:
    investigator = await api.user("investigator")
    await api.record(investigator)
    foreign_auditor = await api.user("auditor", "b")
    events = (
        await api.client.get("/api/v1/audit/events", headers={"Authorization": foreign_auditor})
    ).json()
    assert all(e["actor_agency_id"] != str(api.agency_a) for e in events["events"])
    system = await api.user("system_auditor", "b")
    everything = (
        await api.client.get("/api/v1/audit/events", headers={"Authorization": system})
    ).json()
    assert any(e["action"] == "recovery.recorded" for e in everything["events"])


async def test_investigators_cannot_read_the_trail(api: Api) -> None:
    investigator = await api.user("investigator")
    for path in ("/api/v1/audit/events", "/api/v1/audit/head", "/api/v1/audit/verify"):
        assert (
            await api.client.get(path, headers={"Authorization": investigator})
        ).status_code == 403


async def test_failed_sign_ins_are_recorded_without_the_text_typed(api: Api) -> None:
    await api.user("investigator", username="camille")
    await api.client.post(
        "/api/v1/auth/token", data={"username": "camille", "password": "wrong password!"}
    )
    await api.client.post(
        "/api/v1/auth/token", data={"username": "hunter2-oops", "password": "x" * 12}
    )
    auditor = await api.user("system_auditor")
    failures = (
        await api.client.get(
            "/api/v1/audit/events",
            params={"action": "auth.login_failed"},
            headers={"Authorization": auditor},
        )
    ).json()["events"]
    assert {e["changes"].get("username") for e in failures} == {None, "camille"}
    assert all("hunter2" not in str(e) for e in failures)
