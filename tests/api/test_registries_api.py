"""Registry hits over HTTP, and a registry searched directly."""

from __future__ import annotations

from tests.api.conftest import Api, drain


async def test_a_recovery_is_checked_in_the_background_and_its_hits_shown(api: Api) -> None:
    investigator = await api.user("investigator")
    recovery = (await api.record(investigator)).json()
    path = f"/api/v1/recoveries/{recovery['id']}/registry-hits"
    before = await api.client.get(path, headers={"Authorization": investigator})
    # Not run yet: no hits is not "clean", and says so.
    assert before.json() == {
        "recovery_id": recovery["id"],
        "checked": False,
        "alert": False,
        "checks": [
            {
                "registry": "test-registry",
                "state": "pending",
                "checked_at": None,
                "checked_version": None,
                "next_attempt_at": None,
            }
        ],
        "hits": [],
        "cleared": [],
    }
    await drain(api)
    after = (await api.client.get(path, headers={"Authorization": investigator})).json()
    assert after["checked"] is True and after["alert"] is True
    (check,) = after["checks"]
    assert (check["state"], check["checked_version"]) == ("checked", 1) and check["checked_at"]
    (hit,) = after["hits"]
    assert (hit["registry"], hit["reference"], hit["status"], hit["match_kind"]) == (
        "test-registry",
        "T-1",
        "stolen",
        "exact",
    )
    assert hit["record"]["serial"] == "ABC 123" and hit["recovery_version"] == 1
    shown = await api.client.get(
        f"/api/v1/recoveries/{recovery['id']}", headers={"Authorization": investigator}
    )
    assert [(a["reference"], a["status"]) for a in shown.json()["registry_alerts"]] == [
        ("T-1", "stolen")
    ]

    corrected = await api.client.patch(
        f"/api/v1/recoveries/{recovery['id']}",
        json={
            "reason": "re-read",
            "items": [{"id": recovery["items"][0]["id"], "serial": "QRS 1"}],
        },
        headers={"Authorization": investigator, "If-Match": '"v1"'},
    )
    assert corrected.status_code == 200
    waiting = (await api.client.get(path, headers={"Authorization": investigator})).json()
    assert waiting["checked"] is False
    assert [(c["state"], c["checked_version"]) for c in waiting["checks"]] == [("pending", 1)]
    await drain(api)
    after = (await api.client.get(path, headers={"Authorization": investigator})).json()
    assert after["alert"] is False and after["hits"] == []
    assert [(c["state"], c["checked_version"]) for c in after["checks"]] == [("checked", 2)]
    assert [h["reference"] for h in after["cleared"]] == ["T-1"]
    shown = await api.client.get(
        f"/api/v1/recoveries/{recovery['id']}", headers={"Authorization": investigator}
    )
    assert shown.json()["registry_alerts"] == []

    other = await api.user("investigator", "b")
    assert (await api.client.get(path, headers={"Authorization": other})).status_code == 404


async def test_a_registry_is_searched_directly_and_unknown_ones_are_not_found(api: Api) -> None:
    officer = await api.user("tracing_officer")
    found = await api.client.get(
        "/api/v1/registries/test-registry/search",
        params={"serial": "abc-123", "make": "Glock"},
        headers={"Authorization": officer},
    )
    assert found.status_code == 200
    answer = found.json()
    assert answer["schema_version"] == "tracedesk.registry-search.v1"
    assert [(m["record"]["reference"], m["match_kind"]) for m in answer["matches"]] == [
        ("T-1", "normalized")
    ]
    missing = await api.client.get(
        "/api/v1/registries/nowhere/search",
        params={"serial": "A1"},
        headers={"Authorization": officer},
    )
    assert missing.status_code == 404
    bad = await api.client.get(
        "/api/v1/registries/test-registry/search",
        params={"serial": "A?"},
        headers={"Authorization": officer},
    )
    assert bad.status_code == 422
