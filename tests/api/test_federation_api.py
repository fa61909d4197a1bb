"""POST /api/v1/federation/trace-exchanges: who may deliver what, and what is refused."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.exchanges import submission
from tests.builders import AGENCY_B, new_id

PATH = "/api/v1/federation/trace-exchanges"


def fields(response: Any) -> list[str]:
    return [error["pointer"].strip("#/") for error in response.json()["errors"]]


async def test_a_submission_lands_in_the_inbox_once(api: Api) -> None:
    sender = await api.peer_agency("Politie NL", "peer-nl")
    peer = await api.integration(sender, "peer-nl")
    message = submission(sender)
    first = await api.client.post(PATH, json=message, headers=peer)
    assert first.status_code == 201, first.text
    assert first.json() == {
        "schema_version": "tracedesk.trace-receipt.v1",
        "message_id": message["message_id"],
        "request_id": message["request_id"],
        "status": "submitted",
        "duplicate": False,
    }
    again = await api.client.post(PATH, json=message, headers=peer)
    assert again.status_code == 200 and again.json()["duplicate"] is True

    officer = await api.user("tracing_officer", "a")
    inbox = await api.client.get(
        "/api/v1/trace-requests", params={"box": "inbox"}, headers={"Authorization": officer}
    )
    (listed,) = inbox.json()["requests"]
    assert listed["id"] == message["request_id"]
    assert listed["respond_by"] == "2026-12-20T09:00:00Z"  # the requester's deadline


async def test_a_peer_speaks_only_for_its_own_agencies_to_agencies_here(api: Api) -> None:
    sender = await api.peer_agency("Politie NL", "peer-nl")
    other_peer_agency = await api.peer_agency("Policja PL", "peer-pl")
    peer = await api.integration(sender, "peer-nl")

    posing = submission(other_peer_agency)
    refused = await api.client.post(PATH, json=posing, headers=peer)
    assert refused.status_code == 422 and "sender_agency_id" in fields(refused)

    elsewhere = submission(sender, recipient_agency_id=str(other_peer_agency))
    elsewhere["request"]["addressee_agency_id"] = str(other_peer_agency)
    refused = await api.client.post(PATH, json=elsewhere, headers=peer)
    assert refused.status_code == 422 and "recipient_agency_id" in fields(refused)

    # An integration of an agency of this instance is not a peer, scope or not.
    local = await api.integration(AGENCY_B, "local-integration")
    refused = await api.client.post(PATH, json=submission(AGENCY_B), headers=local)
    assert refused.status_code == 403

    # A user is never a peer.
    supervisor = await api.user("supervisor", "a")
    refused = await api.client.post(
        PATH, json=submission(sender), headers={"Authorization": supervisor}
    )
    assert refused.status_code == 403


async def test_a_step_must_be_the_senders_and_allowed_now(api: Api) -> None:
    sender = await api.peer_agency("Politie NL", "peer-nl")
    peer = await api.integration(sender, "peer-nl")
    message = submission(sender)
    assert (await api.client.post(PATH, json=message, headers=peer)).status_code == 201
    step = {
        **message,
        "message_id": str(new_id()),
        "request": None,
        "version": 3,
        "at": "2026-11-21T09:00:00Z",
    }

    # The requester cannot acknowledge its own request: that is the responder's step.
    refused = await api.client.post(PATH, json={**step, "step": "acknowledge"}, headers=peer)
    assert refused.status_code == 422 and "sender_agency_id" in fields(refused)

    # Closing needs an answer first.
    refused = await api.client.post(PATH, json={**step, "step": "close"}, headers=peer)
    assert refused.status_code == 409
    assert refused.json()["current_status"] == "submitted"

    withdrawn = await api.client.post(
        PATH, json={**step, "step": "withdraw", "reason": "Case closed"}, headers=peer
    )
    assert withdrawn.status_code == 201 and withdrawn.json()["status"] == "withdrawn"


async def test_a_broken_message_is_refused_with_the_field_and_nothing_is_stored(api: Api) -> None:
    sender = await api.peer_agency("Politie NL", "peer-nl")
    peer = await api.integration(sender, "peer-nl")
    without_request = submission(sender, request=None)
    refused = await api.client.post(PATH, json=without_request, headers=peer)
    assert refused.status_code == 422 and "request" in fields(refused)

    unknown_step = submission(sender, step="approve")
    refused = await api.client.post(PATH, json=unknown_step, headers=peer)
    assert refused.status_code == 422 and "step" in fields(refused)

    officer = await api.user("tracing_officer", "a")
    inbox = await api.client.get(
        "/api/v1/trace-requests", params={"box": "inbox"}, headers={"Authorization": officer}
    )
    assert inbox.json()["requests"] == []


async def test_a_replayed_message_id_is_answered_from_what_was_stored_for_it(api: Api) -> None:
    sender = await api.peer_agency("Politie NL", "peer-nl")
    peer = await api.integration(sender, "peer-nl")
    message = submission(sender)
    assert (await api.client.post(PATH, json=message, headers=peer)).status_code == 201

    # The request moves on here; a replay says what the message did, not what is now.
    officer = await api.user("tracing_officer", "a")
    acknowledged = await api.client.post(
        f"/api/v1/trace-requests/{message['request_id']}/acknowledge",
        headers={"Authorization": officer, "If-Match": '"v2"'},
    )
    assert acknowledged.status_code == 200, acknowledged.text
    again = await api.client.post(PATH, json=message, headers=peer)
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["duplicate"]) == ("submitted", True)

    # The same message id about a request between two agencies of this instance: it
    # tells nothing of that request.
    investigator = await api.user("investigator", "a")
    recorded = (await api.record(investigator)).json()
    local = await api.client.post(
        "/api/v1/trace-requests",
        json={
            "recovery_id": recorded["id"],
            "item_id": recorded["items"][0]["id"],
            "addressee": {"agency_id": str(AGENCY_B)},
            "legal_justification": "Seized in Paris.",
            "intended_use": "Criminal investigation",
            "submit": True,
        },
        headers={"Authorization": investigator},
    )
    assert local.status_code == 201, local.text
    replayed = {**message, "request_id": local.json()["id"], "step": "withdraw", "request": None}
    refused = await api.client.post(PATH, json=replayed, headers=peer)
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "/problems/conflict"
    assert local.json()["id"] not in refused.text and "current_status" not in refused.json()

    # Another peer using the first one's message id is refused alike.
    other = await api.peer_agency("Policja PL", "peer-pl")
    borrowed = {**submission(other), "message_id": message["message_id"]}
    refused = await api.client.post(PATH, json=borrowed, headers=await api.integration(other, "pl"))
    assert refused.status_code == 409, refused.text
