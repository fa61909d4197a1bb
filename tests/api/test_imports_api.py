"""Imports and exports over HTTP: an upload becomes a job of the caller's agency, which
reports every rejected row; the export streams the agency's recoveries, filtered."""

from __future__ import annotations

import base64
import csv
import io
import json

import pytest
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from service.adapters.api.import_runner import ImportRunner
from tests.api.conftest import Api

FILE = (
    "recovery_key,case_reference,recovered_at,location_description,location_country,"
    "circumstances,serial,make\r\n"
    "R1,CASE-1,2024-03-01T10:00:00Z,Paris,FR,seizure,=EVIL(1),Glock\r\n"
    "R2,CASE-2,2024-03-01 10:00,Paris,FR,seizure,B 2,Glock\r\n"
)


async def run_jobs(api: Api) -> int:
    runner: ImportRunner = api.client._transport.app.state.imports  # type: ignore[attr-defined]
    return await runner.run_waiting()


async def test_an_upload_is_imported_by_its_job_with_its_report(api: Api) -> None:
    token = await api.user("investigator")
    headers = {"Authorization": token}
    upload = await api.client.post(
        "/api/v1/imports", headers=headers, files={"file": ("lab.csv", FILE, "text/csv")}
    )
    assert upload.status_code == 202, upload.text
    job = upload.json()
    assert (job["state"], job["file"], job["format"]) == ("queued", "lab.csv", "csv")
    assert upload.headers["location"] == f"/api/v1/imports/{job['id']}"
    assert await run_jobs(api) == 1

    done = (await api.client.get(upload.headers["location"], headers=headers)).json()
    assert done["state"] == "done_with_rejects"
    assert done["counts"] == {
        "rows_read": 2,
        "rows_imported": 1,
        "rows_already_imported": 0,
        "rows_rejected": 1,
        "recoveries_imported": 1,
        "batches": 1,
    }
    assert done["progress"]["fraction"] == 1.0
    report = await api.client.get(done["rejects"], headers=headers)
    assert report.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(report.text)))
    assert rows[0] == ["line", "column", "reason"]
    assert [row[:2] for row in rows[1:]] == [["3", "recovered_at"]]
    listed = (await api.client.get("/api/v1/imports", headers=headers)).json()
    assert [i["id"] for i in listed["imports"]] == [job["id"]]

    other = await api.user("supervisor", "b")
    hidden = await api.client.get(upload.headers["location"], headers={"Authorization": other})
    assert (hidden.status_code, hidden.json()["type"]) == (404, "/problems/not-found")


async def test_a_bad_mapping_or_format_is_refused_before_anything_is_queued(api: Api) -> None:
    headers = {"Authorization": await api.user("investigator")}
    mapping = await api.client.post(
        "/api/v1/imports",
        headers=headers,
        files={
            "file": ("lab.csv", FILE, "text/csv"),
            "mapping": ("m.toml", '[columns]\n"Série" = "serials"\n', "text/plain"),
        },
    )
    assert mapping.status_code == 422
    assert mapping.json()["errors"] == [
        {"pointer": "#/mapping/columns/Série", "detail": "'serials' is no field"}
    ]
    # A setting of another type, and a value translated into none its field takes.
    mistyped = await api.client.post(
        "/api/v1/imports",
        headers=headers,
        files={
            "file": ("lab.csv", FILE, "text/csv"),
            "mapping": (
                "m.toml",
                'decimal_comma = "false"\n[values.circumstances]\n"Saisie" = "bogus"\n',
                "text/plain",
            ),
        },
    )
    assert mistyped.status_code == 422
    assert [e["pointer"] for e in mistyped.json()["errors"]] == [
        "#/mapping/decimal_comma",
        "#/mapping/values/circumstances/Saisie",
    ]
    listed = await api.client.get("/api/v1/imports", headers=headers)
    assert listed.json()["imports"] == []
    unknown = await api.client.post(
        "/api/v1/imports", headers=headers, files={"file": ("lab.pdf", b"%PDF", "x/pdf")}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {
            "pointer": "#/file",
            "detail": "cannot tell the format of 'lab.pdf': .csv, .ndjson or .xlsx",
        }
    ]
    assert (await api.client.get("/api/v1/imports", headers=headers)).json() == {"imports": []}


async def test_the_export_streams_the_agencys_recoveries_with_formulas_neutralised(
    api: Api,
) -> None:
    headers = {"Authorization": await api.user("investigator")}
    await api.client.post(
        "/api/v1/imports", headers=headers, files={"file": ("lab.csv", FILE, "text/csv")}
    )
    await run_jobs(api)
    await api.record_firearm(await api.user("investigator", "b"), "B 99", "FOREIGN-1")
    exported = await api.client.get(
        "/api/v1/recoveries/export", headers=headers, params={"format": "csv", "make": "GLOCK"}
    )
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["case_reference"], r["serial"], r["make"]) for r in rows] == [
        ("CASE-1", "'=EVIL(1)", "Glock")
    ]
    none = await api.client.get(
        "/api/v1/recoveries/export", headers=headers, params={"country": "DE"}
    )
    assert none.text == ""


def as_format(format: str) -> bytes:
    """FILE's rows in another of the formats an import reads."""
    rows = list(csv.reader(io.StringIO(FILE)))
    if format == "csv":
        return FILE.encode()
    if format == "ndjson":
        header, *records = rows
        return "".join(
            json.dumps(dict(zip(header, r, strict=True))) + "\n" for r in records
        ).encode()
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        cells = [WriteOnlyCell(sheet, value) for value in row]
        for cell in cells:
            cell.data_type = "s"  # text as typed: "=EVIL(1)" is a serial, not a formula
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("format", ["csv", "ndjson", "xlsx"])
async def test_every_format_imports_through_an_upload(api: Api, format: str) -> None:
    # Found by probing: an uploaded .xlsx always failed (kept under a name openpyxl refuses).
    headers = {"Authorization": await api.user("investigator")}
    upload = await api.client.post(
        "/api/v1/imports",
        headers=headers,
        files={"file": (f"lab.{format}", as_format(format), "application/octet-stream")},
    )
    assert upload.status_code == 202, upload.text
    await run_jobs(api)
    done = (await api.client.get(upload.headers["location"], headers=headers)).json()
    assert (done["state"], done["failure"]) == ("done_with_rejects", None), done
    assert (done["counts"]["rows_imported"], done["counts"]["rows_rejected"]) == (1, 1)


async def test_nesting_past_reading_is_a_problem_or_a_rejected_row(api: Api) -> None:
    """Documents nested thousands deep overflow a recursive parser: each place that
    parses one answers a problem, or rejects the row, never a 500 or a job left running."""
    headers = {"Authorization": await api.user("investigator")}
    deep = "[" * 50_000 + "]" * 50_000
    mapping = await api.client.post(
        "/api/v1/imports",
        headers=headers,
        files={
            "file": ("lab.csv", FILE, "text/csv"),
            "mapping": ("m.toml", f"a = {deep}\n", "text/plain"),
        },
    )
    assert mapping.status_code == 422, mapping.text
    assert mapping.json()["errors"][0]["pointer"] == "#/mapping"

    lines = [json.loads(line) for line in as_format("ndjson").decode().splitlines()]
    rows = "\n".join([json.dumps(lines[0]), '{"a": ' * 50_000 + "1" + "}" * 50_000])
    upload = await api.client.post(
        "/api/v1/imports", headers=headers, files={"file": ("deep.ndjson", rows, "x/ndjson")}
    )
    await run_jobs(api)
    done = (await api.client.get(upload.headers["location"], headers=headers)).json()
    assert done["state"] == "done_with_rejects", done
    report = await api.client.get(done["rejects"], headers=headers)
    assert list(csv.reader(io.StringIO(report.text)))[1] == [
        "2",
        "",
        "not a row: JSON nested too deeply",
    ]

    cursor = base64.urlsafe_b64encode(b"[" * 5_000 + b"]" * 5_000).decode()
    listed = await api.client.get("/api/v1/recoveries", params={"cursor": cursor}, headers=headers)
    assert (listed.status_code, listed.json()["errors"][0]["parameter"]) == (422, "cursor")
    body = '{"case_reference": "\\ud800", "x": ' + deep + "}"
    recorded = await api.client.post(
        "/api/v1/recoveries",
        content=body,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert recorded.status_code in (400, 422), recorded.text
    assert recorded.headers["content-type"] == "application/problem+json"


async def test_a_job_that_fails_writing_for_good_ends_failed_not_retried_forever(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure that is not the database being away (a bug, a value no column holds)
    would fail again at each claim: the job ends, failed, saying so."""
    headers = {"Authorization": await api.user("investigator")}
    upload = await api.client.post(
        "/api/v1/imports", headers=headers, files={"file": ("lab.csv", FILE, "text/csv")}
    )

    def broken(*_: object, **__: object) -> None:
        raise ValueError("a value no column holds")

    monkeypatch.setattr("service.recovery_import.decide", broken)
    assert await run_jobs(api) == 1
    failed = (await api.client.get(upload.headers["location"], headers=headers)).json()
    assert failed["state"] == "failed"
    assert failed["failure"].startswith("tracedesk could not write on from here (ValueError)")
    runner: ImportRunner = api.client._transport.app.state.imports  # type: ignore[attr-defined]
    assert list(runner.directory.iterdir()) == []
    assert await run_jobs(api) == 0


async def test_a_field_sent_twice_is_refused_and_nothing_is_queued(api: Api) -> None:
    """A second file (or mapping, or option) would be dropped without a word: the client
    would believe both imported."""
    headers = {"Authorization": await api.user("investigator")}
    mapping = ("m.toml", '[columns]\n"Série" = "serial"\n', "text/plain")
    for parts, data, field, what in [
        (
            [("file", ("a.csv", FILE, "text/csv")), ("file", ("b.csv", FILE, "text/csv"))],
            {},
            "file",
            "file",
        ),
        (
            [("file", ("a.csv", FILE, "text/csv")), ("mapping", mapping), ("mapping", mapping)],
            {},
            "mapping",
            "file",
        ),
        ([("file", ("a.csv", FILE, "text/csv"))], {"format": ["csv", "ndjson"]}, "format", "value"),
        (
            [("file", ("a.csv", FILE, "text/csv"))],
            {"all_or_nothing": ["true", "false"]},
            "all_or_nothing",
            "value",
        ),
    ]:
        refused = await api.client.post("/api/v1/imports", headers=headers, files=parts, data=data)
        assert refused.status_code == 422, (field, refused.text)
        assert refused.json()["errors"] == [
            {"pointer": f"#/{field}", "detail": f"one {what} per request: 2 were sent"}
        ]
    assert (await api.client.get("/api/v1/imports", headers=headers)).json() == {"imports": []}
    assert not list(api.client._transport.app.state.imports.directory.glob("*"))  # type: ignore[attr-defined]
