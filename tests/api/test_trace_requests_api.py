"""The tracing workflow over HTTP: each transition, each refusal, the race, the lists."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.api.conftest import CHAIN, Api

POSSESSOR = "Jean Dupont"


class Tracing:
    """The two sides of an exchange: agency A asks, agency B answers."""

    def __init__(self, api: Api) -> None:
        self.api = api

    async def setup(self) -> Tracing:
        self.investigator = await self.api.user("investigator", "a")
        self.supervisor = await self.api.user("supervisor", "a")
        self.officer = await self.api.user("tracing_officer", "b")
        self.other_officer = await self.api.user("tracing_officer", "b", username="officer2.b")
        self.outsider = await self.api.user("supervisor", "c")
        # Who held the weapon is the requester's evidence; a trace request never carries it.
        possessor = {"name": POSSESSOR, "born_on": "1980-01-02"}
        recorded = (await self.api.record(self.investigator, possessor=possessor)).json()
        self.recovery_id, self.item_id = recorded["id"], recorded["items"][0]["id"]
        return self

    def body(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "recovery_id": self.recovery_id,
            "item_id": self.item_id,
            "addressee": {"agency_id": str(self.api.agency_b)},
            "legal_justification": "Found on a suspect arrested for armed robbery.",
            "intended_use": "Criminal investigation and prosecution",
            "priority": "routine",
            "submit": True,
        }
        body.update(overrides)
        return body

    async def ask(self, **overrides: Any) -> dict[str, Any]:
        response = await self.api.client.post(
            "/api/v1/trace-requests",
            json=self.body(**overrides),
            headers=self.auth(self.investigator),
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def act(
        self,
        who: str,
        request: dict[str, Any],
        action: str,
        body: Any = None,
        version: int | None = None,
    ) -> httpx.Response:
        return await self.api.client.post(
            f"/api/v1/trace-requests/{request['id']}/{action}",
            json=body,
            headers={**self.auth(who), "If-Match": f'"v{version or request["version"]}"'},
        )

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"Authorization": token}


@pytest.fixture
async def tracing(api: Api) -> Tracing:
    return await Tracing(api).setup()


async def test_an_exchange_from_question_to_close(tracing: Tracing, api: Api) -> None:
    asked = await tracing.ask()
    assert asked["status"] == "submitted" and asked["version"] == 2
    assert asked["item"]["description"]["serial_normalized"] == "ABC123"
    assert asked["due_at"] == asked["acknowledge_by"] and not asked["overdue"]
    assert asked["your_actions"] == ["withdraw"]

    seen = await api.client.get(
        f"/api/v1/trace-requests/{asked['id']}", headers=tracing.auth(tracing.officer)
    )
    assert seen.status_code == 200 and seen.headers["etag"] == '"v2"'
    assert seen.json()["your_actions"] == ["acknowledge", "decline"]
    assert seen.json()["legal_justification"].startswith("Found on a suspect")

    step = await tracing.act(tracing.officer, asked, "acknowledge")
    assert step.status_code == 200 and step.json()["status"] == "acknowledged"
    step = await tracing.act(
        tracing.officer, step.json(), "request-info", {"question": "Is the slide original?"}
    )
    assert step.json()["status"] == "info_requested" and step.json()["waiting_on"] == "requester"
    step = await tracing.act(
        tracing.investigator, step.json(), "provide-info", {"answer": "Yes, same serial."}
    )
    assert step.json()["status"] == "acknowledged"
    step = await tracing.act(
        tracing.officer,
        step.json(),
        "respond",
        {"outcome": "traced", "chain_of_custody": CHAIN, "notes": "Stolen from the buyer."},
    )
    answered = step.json()
    assert step.status_code == 200, step.text
    assert answered["status"] == "responded" and answered["outcome"] == "traced"
    assert answered["time_to_crime_days"] == 2057  # 2021-03-15 to 2026-11-01
    assert answered["responses"][0]["chain_of_custody"][1]["party"]["licence"] == "WBK-9"
    step = await tracing.act(tracing.supervisor, answered, "close")
    assert step.json()["status"] == "closed" and step.json()["your_actions"] == []
    assert [h["action"] for h in step.json()["history"]] == [
        "create",
        "submit",
        "acknowledge",
        "request-info",
        "provide-info",
        "respond",
        "close",
    ]

    thread = await api.client.get(
        f"/api/v1/trace-requests/{asked['id']}/messages", headers=tracing.auth(tracing.officer)
    )
    assert [m["body"] for m in thread.json()["messages"]] == [
        "Is the slide original?",
        "Yes, same serial.",
    ]


async def test_an_illegal_transition_names_the_state_and_the_allowed_actions(
    tracing: Tracing,
) -> None:
    asked = await tracing.ask()
    refused = await tracing.act(tracing.supervisor, asked, "close")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"] == "/problems/illegal-transition"
    assert problem["status"] == 409 and problem["current_status"] == "submitted"
    assert problem["allowed_actions"] == ["acknowledge", "decline", "withdraw"]
    assert refused.headers["content-type"] == "application/problem+json"


async def test_two_officers_answering_at_once_one_wins_and_nothing_is_lost(
    tracing: Tracing, api: Api
) -> None:
    asked = await tracing.ask()
    acknowledged = (await tracing.act(tracing.officer, asked, "acknowledge")).json()
    answers = await asyncio.gather(
        tracing.act(
            tracing.officer,
            acknowledged,
            "respond",
            {"outcome": "traced", "chain_of_custody": CHAIN[:1]},
        ),
        tracing.act(tracing.other_officer, acknowledged, "decline", {"reason": "Confidential"}),
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 412], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200).json()
    stored = await api.client.get(
        f"/api/v1/trace-requests/{asked['id']}", headers=tracing.auth(tracing.investigator)
    )
    assert stored.json()["version"] == 4 and len(stored.json()["responses"]) == 1
    assert stored.json()["outcome"] == winner["outcome"]


async def test_every_rejected_value_is_named(tracing: Tracing, api: Api) -> None:
    bad = tracing.body(
        legal_justification="", priority="soon", addressee={"agency_id": "x"}, submit="yes"
    )
    refused = await api.client.post(
        "/api/v1/trace-requests", json=bad, headers=tracing.auth(tracing.investigator)
    )
    assert refused.status_code == 422
    pointers = {e["pointer"] for e in refused.json()["errors"]}
    # "yes" is no yes or no: a request is not sent on a guess.
    assert pointers == {
        "#/legal_justification",
        "#/priority",
        "#/addressee/agency_id",
        "#/submit",
    }

    foreign = await api.record(await api.user("investigator", "c"))
    refused = await api.client.post(
        "/api/v1/trace-requests",
        json=tracing.body(recovery_id=foreign.json()["id"]),
        headers=tracing.auth(tracing.investigator),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"pointer": "#/recovery_id", "detail": "is not a recovery of your agency"}
    ]

    acknowledged = (await tracing.act(tracing.officer, await tracing.ask(), "acknowledge")).json()
    chain = [
        {**CHAIN[0], "date": "2030-01-01"},
        {**CHAIN[1], "party": {**CHAIN[1]["party"], "role": "manufacturer", "country": "ZZ"}},
    ]
    refused = await tracing.act(
        tracing.officer, acknowledged, "respond", {"outcome": "traced", "chain_of_custody": chain}
    )
    assert refused.status_code == 422
    assert {e["pointer"] for e in refused.json()["errors"]} == {
        "#/chain_of_custody/0/date",
        "#/chain_of_custody/1/date",  # earlier than the (wrong) date before it
        "#/chain_of_custody/1/party/role",
        "#/chain_of_custody/1/party/country",
    }
    refused = await tracing.act(tracing.officer, acknowledged, "decline", {"reason": ""})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "#/reason"
    missing = await api.client.post(
        f"/api/v1/trace-requests/{acknowledged['id']}/acknowledge",
        headers=tracing.auth(tracing.officer),
    )
    assert missing.status_code == 428
    unchanged = await api.client.get(
        f"/api/v1/trace-requests/{acknowledged['id']}", headers=tracing.auth(tracing.investigator)
    )
    assert unchanged.json()["version"] == acknowledged["version"]


async def test_inbox_and_outbox_with_filters_and_pages(tracing: Tracing, api: Api) -> None:
    draft = await tracing.ask(submit=False)
    urgent = await tracing.ask(priority="urgent")
    routine = [await tracing.ask() for _ in range(3)]

    async def listed(who: str, **params: Any) -> httpx.Response:
        return await api.client.get(
            "/api/v1/trace-requests", params=params, headers=tracing.auth(who)
        )

    inbox = (await listed(tracing.officer, box="inbox")).json()
    assert [r["id"] for r in inbox["requests"]] == [r["id"] for r in [*reversed(routine), urgent]]
    outbox = (await listed(tracing.investigator, box="outbox", status="draft")).json()
    assert [r["id"] for r in outbox["requests"]] == [draft["id"]]
    both = await listed(tracing.investigator, box="outbox", status=["draft", "submitted"])
    assert len(both.json()["requests"]) == 5
    urgent_only = await listed(tracing.officer, box="inbox", priority="urgent")
    assert [r["id"] for r in urgent_only.json()["requests"]] == [urgent["id"]]
    assert (await listed(tracing.officer, box="inbox", overdue="true")).json()["requests"] == []

    first = (await listed(tracing.officer, box="inbox", limit=3)).json()
    rest = (await listed(tracing.officer, box="inbox", cursor=first["next_cursor"])).json()
    assert [r["id"] for r in first["requests"] + rest["requests"]] == [
        r["id"] for r in inbox["requests"]
    ]
    assert rest["next_cursor"] is None

    assert (await listed(tracing.investigator, box="inbox")).status_code == 403
    assert (await listed(tracing.officer, box="outbox")).status_code == 403
    assert (await listed(tracing.outsider, box="inbox")).json()["requests"] == []
    assert (await listed(tracing.officer, box="inbox", cursor="nonsense")).status_code == 422


async def test_nobody_but_the_two_agencies_sees_the_request(tracing: Tracing, api: Api) -> None:
    asked = await tracing.ask()
    for who in (tracing.outsider, await api.user("investigator", "b")):
        for path in ("", "/messages"):
            seen = await api.client.get(
                f"/api/v1/trace-requests/{asked['id']}{path}", headers=tracing.auth(who)
            )
            assert seen.status_code == 404, seen.text
    posted = await api.client.post(
        f"/api/v1/trace-requests/{asked['id']}/messages",
        json={"body": "hello"},
        headers=tracing.auth(tracing.outsider),
    )
    assert posted.status_code == 404


async def test_the_addressee_never_learns_who_held_the_weapon(tracing: Tracing, api: Api) -> None:
    asked = await tracing.ask()
    seen = await api.client.get(
        f"/api/v1/trace-requests/{asked['id']}", headers=tracing.auth(tracing.officer)
    )
    assert seen.status_code == 200
    assert POSSESSOR not in seen.text and "1980-01-02" not in seen.text
    inbox = await api.client.get(
        "/api/v1/trace-requests", params={"box": "inbox"}, headers=tracing.auth(tracing.officer)
    )
    assert inbox.status_code == 200 and POSSESSOR not in inbox.text


async def test_messages_carry_attachment_metadata(tracing: Tracing, api: Api) -> None:
    asked = await tracing.ask()
    posted = await api.client.post(
        f"/api/v1/trace-requests/{asked['id']}/messages",
        json={
            "body": "Photographs of the frame, sent by diplomatic pouch.",
            "attachments": [
                {
                    "filename": "frame.jpg",
                    "media_type": "image/jpeg",
                    "size_bytes": 48213,
                    "sha256": "9f" * 32,
                }
            ],
        },
        headers=tracing.auth(tracing.investigator),
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["side"] == "requester"
    assert posted.json()["attachments"][0]["sha256"] == "9f" * 32
    bad = await api.client.post(
        f"/api/v1/trace-requests/{asked['id']}/messages",
        json={
            "body": "x",
            "attachments": [
                {
                    "filename": "../etc/passwd",
                    "media_type": "nope",
                    "size_bytes": 1,
                    "sha256": "G" * 64,
                }
            ],
        },
        headers=tracing.auth(tracing.officer),
    )
    assert bad.status_code == 422
    assert {e["pointer"] for e in bad.json()["errors"]} == {
        "#/attachments/0/filename",
        "#/attachments/0/media_type",
        "#/attachments/0/sha256",
    }


async def test_supervisors_read_tracing_statistics(tracing: Tracing, api: Api) -> None:
    asked = await tracing.ask()
    acknowledged = (await tracing.act(tracing.officer, asked, "acknowledge")).json()
    await tracing.act(
        tracing.officer, acknowledged, "respond", {"outcome": "traced", "chain_of_custody": CHAIN}
    )
    stats = await api.client.get(
        "/api/v1/stats/tracing", params={"period": "year"}, headers=tracing.auth(tracing.supervisor)
    )
    assert stats.status_code == 200, stats.text
    (figures,) = stats.json()["figures"]
    assert figures["responding_agency_id"] == str(api.agency_b)
    assert figures["by_outcome"]["traced"] == 1 and figures["answered_on_time"] == 1
    assert figures["time_to_crime"]["5 to 10 years"] == 1
    forbidden = await api.client.get(
        "/api/v1/stats/tracing", headers=tracing.auth(tracing.investigator)
    )
    assert forbidden.status_code == 403


async def test_drafts_submit_and_requests_end_by_withdrawal_or_refusal(
    tracing: Tracing, api: Api
) -> None:
    draft = await tracing.ask(submit=False)
    assert draft["status"] == "draft" and draft["due_at"] is None
    assert draft["your_actions"] == ["submit", "withdraw"]
    submitted = await tracing.act(tracing.investigator, draft, "submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert submitted.json()["acknowledge_by"] is not None
    withdrawn = await tracing.act(
        tracing.investigator, submitted.json(), "withdraw", {"reason": "Identified locally"}
    )
    assert withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["ended_at"]
    assert withdrawn.json()["history"][-1]["reason"] == "Identified locally"

    declined = await tracing.act(
        tracing.officer, await tracing.ask(), "decline", {"reason": "Ongoing operation"}
    )
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined" and declined.json()["outcome"] == "declined"
    assert declined.json()["responses"][0]["notes"] == "Ongoing operation"
    late = await api.client.post(
        f"/api/v1/trace-requests/{declined.json()['id']}/messages",
        json={"body": "Can you share anything?"},
        headers=tracing.auth(tracing.investigator),
    )
    assert late.status_code == 201  # the two sides may still talk after a refusal
    closed = await tracing.act(tracing.supervisor, declined.json(), "close")
    assert closed.status_code == 409 and closed.json()["allowed_actions"] == []
