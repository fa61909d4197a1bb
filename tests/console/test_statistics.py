"""The supervisors' statistics page: charts drawn on the server, with their numbers in
tables beside them; only for those whose role opens the figures."""

from __future__ import annotations

import re

from tests.console.conftest import Console
from tests.databases import AGENCIES


async def test_a_supervisor_sees_each_agencys_answers_as_charts_and_tables(
    console: Console,
) -> None:
    supervisor = await console.signed_in("supervisor")
    recovery = await console.recorded("supervisor.a", "STA 1001", case="CASE-STATS")
    await supervisor.get(f"/recoveries/{recovery.id}/items/{recovery.items[0].id}/trace")
    asked = await supervisor.post(
        f"/recoveries/{recovery.id}/items/{recovery.items[0].id}/trace",
        {
            "addressee-agency_id": str(AGENCIES["b"][0]),
            "legal_justification": "Seized without papers.",
            "intended_use": "Prosecution",
            "priority": "routine",
            "send": "now",
        },
    )
    assert asked.status_code == 303
    page = await supervisor.get("/statistics")
    assert page.status_code == 200
    assert page.text.count("<svg") == 5 and "<title" in page.text
    assert re.search(r'<th scope="row">Agency B</th><td class="number">1</td>', page.text)
    assert "Not answered yet" in page.text
    assert "style=" not in page.text  # the CSP allows no inline style


async def test_a_reversed_span_is_shown_beside_its_field(console: Console) -> None:
    supervisor = await console.signed_in("supervisor")
    page = await supervisor.get("/statistics?from=2026-06-01&to=2026-01-01")
    assert page.status_code == 422 and 'href="#to"' in page.text


async def test_an_investigator_has_no_statistics(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    assert (await investigator.client.get("/statistics")).status_code == 403
    assert 'href="/statistics"' not in (await investigator.get("/")).text
