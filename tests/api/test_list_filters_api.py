"""A list's filters are read by the rules recording applies: a country recording refuses,
or a period that ends where or before it starts, can find nothing whatever is stored,
and is a 422 naming the query parameter, never an empty list taken for "there is none"."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

NOT_A_COUNTRY = "is not an ISO 3166-1 alpha-2 country code"
BACKWARDS = {"recovered_from": "2026-10-05T00:00:00Z", "recovered_to": "2026-10-01T00:00:00Z"}


@pytest.mark.parametrize("path", ["/api/v1/recoveries", "/api/v1/recoveries/export"])
async def test_a_country_recording_refuses_is_refused_as_a_filter(api: Api, path: str) -> None:
    token = await api.user("investigator")
    recorded = await api.record(token)
    assert recorded.json()["location"]["country"] == "FR"
    for country in ("fr", "XX", "Fr"):
        refused = await api.client.get(
            path, params={"country": country}, headers={"Authorization": token}
        )
        assert refused.status_code == 422, (country, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"] == [
            {"parameter": "country", "detail": f"{country!r} {NOT_A_COUNTRY}"}
        ]
    found = await api.client.get(path, params={"country": "FR"}, headers={"Authorization": token})
    assert found.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/recoveries", "/api/v1/recoveries/export"])
async def test_a_period_ending_before_it_starts_is_refused(api: Api, path: str) -> None:
    token = await api.user("investigator")
    await api.record(token, recovered_at="2026-10-03T12:00:00Z")
    same = {"recovered_from": BACKWARDS["recovered_to"], "recovered_to": BACKWARDS["recovered_to"]}
    for period in (BACKWARDS, same):
        refused = await api.client.get(path, params=period, headers={"Authorization": token})
        assert refused.status_code == 422, (period, refused.text)
        assert refused.json()["errors"] == [
            {"parameter": "recovered_to", "detail": "must be after recovered_from"}
        ]
    forwards = {
        "recovered_from": BACKWARDS["recovered_to"],
        "recovered_to": BACKWARDS["recovered_from"],
    }
    listed = await api.client.get(path, params=forwards, headers={"Authorization": token})
    assert listed.status_code == 200
    if path == "/api/v1/recoveries":
        assert len(listed.json()["recoveries"]) == 1


async def test_an_export_refused_for_its_filters_is_not_audited_as_made(api: Api) -> None:
    token = await api.user("investigator")
    refused = await api.client.get(
        "/api/v1/recoveries/export", params={"country": "fr"}, headers={"Authorization": token}
    )
    assert refused.status_code == 422
    made = await api.client.get(
        "/api/v1/recoveries/export", params={"country": "FR"}, headers={"Authorization": token}
    )
    assert made.status_code == 200
    events = await api.client.get(
        "/api/v1/audit/events",
        params={"action": "recoveries.exported"},
        headers={"Authorization": await api.user("auditor")},
    )
    assert events.status_code == 200
    (made_only,) = events.json()["events"]
    assert made_only["changes"]["filters"] == {"country": "FR"}


async def test_the_audit_trail_refuses_a_period_ending_before_it_starts(api: Api) -> None:
    auditor = await api.user("auditor")
    refused = await api.client.get(
        "/api/v1/audit/events",
        params={"occurred_from": "2026-10-05T00:00:00Z", "occurred_to": "2026-10-01T00:00:00Z"},
        headers={"Authorization": auditor},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {"parameter": "occurred_to", "detail": "must be after occurred_from"}
    ]


async def test_tracing_statistics_name_the_query_parameters_they_refuse(api: Api) -> None:
    supervisor = await api.user("supervisor")
    for params, parameter in [
        ({"from": "2026-10-05T00:00:00Z", "to": "2026-10-01T00:00:00Z"}, "to"),
        ({"from": "2000-01-01T00:00:00Z", "to": "2026-10-01T00:00:00Z"}, "from"),
    ]:
        refused = await api.client.get(
            "/api/v1/stats/tracing", params=params, headers={"Authorization": supervisor}
        )
        assert refused.status_code == 422, refused.text
        assert [e["parameter"] for e in refused.json()["errors"]] == [parameter]
        assert "submitted" not in refused.text  # the use case's names, not the query's
