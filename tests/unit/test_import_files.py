"""Reading import files that are not what they should be: each gives a clear report,
and only what is wrong is refused; and reading rows the domain's way (dates, numbers,
keys). Exports neutralise what a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from service.adapters.tabular import open_rows
from service.adapters.tabular.mapping import ColumnMapping, read_mapping
from service.adapters.tabular.reading import MAX_LINE
from service.adapters.tabular.writing import CsvExport, XlsxExport
from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.import_fields import FIELDS, ReadingRules, read_cell
from service.domain.import_rows import RowProblem, SourceRow, UnreadableFile, read_row
from service.domain.imports import ImportFormat
from service.domain.items import FirearmType
from service.domain.recovery import Circumstances

HEADER = (
    "recovery_key,case_reference,recovered_at,location_description,location_country,"
    "circumstances,serial"
)
ROW = "R{n},C-{n},2024-03-01T10:00:00Z,{place},FR,seizure,S {n}"


def rows_of(
    path: Path, format: ImportFormat = ImportFormat.CSV, mapping: str | None = None
) -> list[SourceRow | RowProblem]:
    chosen = read_mapping(mapping) if mapping else ColumnMapping()
    return list(open_rows(path, format, chosen).rows())


def lines(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def test_latin_1_text_rejects_only_its_rows_unless_the_mapping_names_the_encoding(
    tmp_path: Path,
) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(
        lines(ROW.format(n=1, place="Orléans"), ROW.format(n=2, place="Nice")).encode("latin-1")
    )
    first, second = rows_of(path)
    assert first == RowProblem(
        2,
        "",
        "holds bytes that are not utf-8 text (name the file's encoding in the mapping, "
        'for example encoding = "latin-1")',
    )
    assert isinstance(second, SourceRow) and second.cells["location_description"] == "Nice"
    read = rows_of(path, mapping='encoding = "latin-1"')
    assert isinstance(read[0], SourceRow) and read[0].cells["location_description"] == "Orléans"


def test_utf_16_with_a_byte_order_mark_is_read_as_such(tmp_path: Path) -> None:
    path = tmp_path / "unicode.csv"
    path.write_bytes(lines(ROW.format(n=1, place="Київ")).encode("utf-16"))
    (row,) = rows_of(path)
    assert isinstance(row, SourceRow) and row.cells["location_description"] == "Київ"


def test_an_ndjson_row_naming_a_field_twice_is_refused_not_read_as_the_last(
    tmp_path: Path,
) -> None:
    path = tmp_path / "twice.ndjson"
    one = '"recovery_key": "R1", "case_reference": "C-1", "recovered_at": "2024-03-01"'
    path.write_text(
        f'{{{one}, "serial": "S 1"}}\n{{{one}, "serial": "S 1", "serial": "S 2"}}\n',
        encoding="utf-8",
    )
    first, second = rows_of(path, ImportFormat.NDJSON)
    assert isinstance(first, SourceRow) and first.cells["serial"] == "S 1"
    assert second == RowProblem(2, "serial", "is given twice: which one is meant?")


def test_a_missing_or_misspelt_column_stops_the_file_with_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    missing.write_text(
        "recovery_key,case_reference,location_description,location_country,circumstances\n"
    )
    with pytest.raises(UnreadableFile) as refused:
        rows_of(missing)
    assert str(refused.value) == (
        "line 1: missing column: recovered_at (name the file's columns in a mapping file if "
        "they are called otherwise)"
    )
    misspelt = tmp_path / "misspelt.csv"
    misspelt.write_text(HEADER.replace("serial", "serail") + "\n")
    with pytest.raises(UnreadableFile) as unknown:
        rows_of(misspelt)
    assert unknown.value.detail == (
        "unknown column 'serail' (did you mean 'serial'?): name it in a mapping file, "
        "or ignore it there"
    )


def test_a_quoted_line_break_is_one_row_reported_at_the_line_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text(lines(ROW.format(n=1, place='"quai\nnord"'), ROW.format(n=2, place="x")))
    first, second = rows_of(path)
    assert isinstance(first, SourceRow) and first.line == 2
    assert first.cells["location_description"] == "quai\nnord"
    assert isinstance(second, SourceRow) and second.line == 4


def test_a_quote_never_closed_names_every_line_it_swallowed(tmp_path: Path) -> None:
    # Found by probing: the rows after it were silently absent from counts and report.
    path = tmp_path / "unclosed.csv"
    rows = [ROW.format(n=n, place="Nice") for n in range(2, 52)]
    path.write_text(lines(ROW.format(n=1, place="\"Quai d'Orsay"), *rows))
    (only,) = rows_of(path)
    assert isinstance(only, RowProblem) and only.line == 2
    assert only.reason.startswith("lines 2 to 52 were read as one row")
    assert "a quote opened on line 2 is not closed" in only.reason


def test_a_line_longer_than_the_bound_is_reported_not_read(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    long_place = "x" * (2 * MAX_LINE)
    path.write_text(lines(ROW.format(n=1, place=long_place), ROW.format(n=2, place="Nice")))
    first, second = rows_of(path)
    assert first == RowProblem(2, "", "line 2 is longer than 1024 KiB characters: not read")
    assert isinstance(second, SourceRow) and second.line == 3


def test_a_truncated_or_corrupt_xlsx_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    book = Workbook()
    book.active.append(HEADER.split(","))
    book.save(path)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UnreadableFile) as refused:
        rows_of(truncated, ImportFormat.XLSX)
    assert refused.value.detail.startswith("not a readable .xlsx file: BadZipFile")
    corrupt = tmp_path / "corrupt.xlsx"
    with zipfile.ZipFile(corrupt, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not xml")
    with pytest.raises(UnreadableFile):
        rows_of(corrupt, ImportFormat.XLSX)


def test_an_xlsx_that_expands_like_a_zip_bomb_is_refused_before_it_is_parsed(
    tmp_path: Path,
) -> None:
    # Found by probing: a 100 KB file whose header cell expanded to 100 MB took 4.3 GB.
    plain = tmp_path / "plain.xlsx"
    book = Workbook()
    book.active.append(HEADER.split(","))
    book.save(plain)
    path = tmp_path / "bomb.xlsx"
    huge_cell = '<c r="H1" t="inlineStr"><is><t>' + "x" * 20_000_000 + "</t></is></c></row>"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as bomb:
        for part in source.infolist():
            content = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</row>", huge_cell.encode(), 1)
            bomb.writestr(part, content, compress_type=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 200_000
    with pytest.raises(UnreadableFile) as refused:
        rows_of(path, ImportFormat.XLSX)
    assert "no spreadsheet compresses so well" in refused.value.detail


def test_what_a_report_quotes_of_a_file_is_bounded(tmp_path: Path) -> None:
    # Found by probing: a megabyte-long column name became a megabyte-long failure.
    path = tmp_path / "wide.csv"
    path.write_text(HEADER + "," + "y" * 1_000_000 + "\n" + ROW.format(n=1, place="x") + ",1\n")
    with pytest.raises(UnreadableFile) as refused:
        rows_of(path)
    assert len(str(refused.value)) < 600
    assert refused.value.detail.startswith("unknown column 'yyyy")
    ndjson = tmp_path / "wide.ndjson"
    ndjson.write_text('{"' + "z" * 1_000_000 + '": 1}\n')
    (problem,) = rows_of(ndjson, ImportFormat.NDJSON)
    assert isinstance(problem, RowProblem)
    assert len(problem.field) <= 100 and len(problem.reason) <= 500


def test_xlsx_formula_cells_are_refused_and_dates_keep_their_type(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["R1", "C-1", datetime(2024, 3, 1, 10, 0), "Paris", "FR", "seizure", 12345])
    sheet.append(["R2", "C-2", datetime(2024, 3, 1, 10, 0), "Paris", "FR", "seizure", "=A1&B1"])
    book.save(path)
    first, second = rows_of(path, ImportFormat.XLSX)
    assert isinstance(first, SourceRow)
    assert first.cells["recovered_at"] == datetime(2024, 3, 1, 10, 0)
    assert first.cells["serial"] == 12345
    assert second == RowProblem(3, "serial", "is a formula: import its value (paste as values)")


def test_duplicated_rows_are_one_row_and_keys_ignore_the_files_layout() -> None:
    rules = ReadingRules()
    cells = {"recovery_key": "R1", "serial": "12345", "quantity": "5"}
    typed = {"quantity": 5.0, "serial": 12345, "recovery_key": "R1"}
    assert read_row(SourceRow(2, cells), rules).key == read_row(SourceRow(9, typed), rules).key
    keyed = read_row(SourceRow(2, {**cells, "item_key": "LAB-9"}), rules)
    assert keyed.key == "item:R1\x1fLAB-9"


@pytest.mark.parametrize(
    ("cell", "rules", "expected"),
    [
        ("2024-03-01T10:00:00+01:00", ReadingRules(), datetime(2024, 3, 1, 9, 0, tzinfo=UTC)),
        ("2024-03-01T09:00:00Z", ReadingRules(), datetime(2024, 3, 1, 9, 0, tzinfo=UTC)),
        (
            "01/03/2024 10:00",
            ReadingRules(ZoneInfo("Europe/Paris"), ("%d/%m/%Y %H:%M",)),
            datetime(2024, 3, 1, 9, 0, tzinfo=UTC),
        ),
        (
            datetime(2024, 7, 1, 10, 0),
            ReadingRules(ZoneInfo("Europe/Paris")),
            datetime(2024, 7, 1, 8, 0, tzinfo=UTC),
        ),
        (date(2024, 7, 1), ReadingRules(ZoneInfo("UTC")), datetime(2024, 7, 1, tzinfo=UTC)),
    ],
)
def test_times_are_read_in_every_format_and_zone_given(
    cell: object, rules: ReadingRules, expected: datetime
) -> None:
    value = read_cell(FIELDS["recovered_at"], cell, rules)  # type: ignore[arg-type]
    assert isinstance(value, datetime) and value == expected


@pytest.mark.parametrize(
    ("cell", "refusal"),
    [
        (
            "2019-03-31T02:30:00",
            "2019-03-31T02:30 never happened in Europe/Paris (the clocks were put forward): "
            "write it with its offset",
        ),
        (
            "2019-10-27T02:30:00",
            "2019-10-27T02:30 happened twice in Europe/Paris (the clocks were put back): "
            "write it with its offset, +02:00 or +01:00",
        ),
    ],
)
def test_a_time_a_zone_skipped_or_lived_twice_is_refused_not_guessed(
    cell: str, refusal: str
) -> None:
    # Found by probing: both were stored, an hour off one way or the other.
    rules = ReadingRules(ZoneInfo("Europe/Paris"))
    with pytest.raises(InvalidValue) as refused:
        read_cell(FIELDS["recovered_at"], cell, rules)
    assert (refused.value.field, refused.value.detail) == ("recovered_at", refusal)
    with pytest.raises(InvalidValue):
        read_cell(FIELDS["recovered_at"], datetime.fromisoformat(cell), rules)
    offset = read_cell(FIELDS["recovered_at"], cell + "+01:00", rules)
    assert offset == datetime.fromisoformat(cell + "+01:00")


def test_a_time_without_a_zone_or_format_is_refused_with_what_to_give() -> None:
    with pytest.raises(InvalidValue) as refused:
        read_cell(FIELDS["recovered_at"], "01/03/2024 10:00", ReadingRules(ZoneInfo("UTC")))
    assert str(refused.value) == (
        "recovered_at: '01/03/2024 10:00' is not a date and time in ISO 8601 or in a format "
        "of the mapping (none given)"
    )


def test_a_time_finer_than_a_microsecond_is_refused_not_cut() -> None:
    rules = ReadingRules(ZoneInfo("UTC"))
    kept = read_cell(FIELDS["recovered_at"], "2024-03-01T10:00:00.123456Z", rules)
    assert kept == datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
    with pytest.raises(InvalidValue, match="kept to the microsecond"):
        read_cell(FIELDS["recovered_at"], "2024-03-01T10:00:00.123456789Z", rules)


def test_a_mapping_reports_every_problem_at_once() -> None:
    with pytest.raises(ValidationFailed) as refused:
        read_mapping('time_zone = "Mars/Olympus"\ncolour = 1\n[columns]\n"A" = "serials"\n')
    assert [(p.field, p.detail) for p in refused.value.problems] == [
        ("mapping.colour", "is not a setting of a mapping"),
        ("mapping.columns.A", "'serials' is no field"),
        ("mapping.time_zone", "is not an IANA time zone"),
    ]


def test_every_setting_of_a_mapping_is_checked_for_its_type_at_once() -> None:
    """A setting of another type is refused, never read as something else: the text
    "false" is not false (it was read as true)."""
    text = (
        'decimal_comma = "false"\ntime_zone = 1\ndate_formats = ["dd/mm/yyyy"]\n'
        'sheet = 2\nencoding = true\ndelimiter = ";;"\nignore = ["A", 3]\n'
    )
    with pytest.raises(ValidationFailed) as refused:
        read_mapping(text)
    assert [(p.field, p.detail) for p in refused.value.problems] == [
        ("mapping.time_zone", "is not an IANA time zone"),
        (
            "mapping.date_formats",
            "'dd/mm/yyyy' is not a date format (write it as %d/%m/%Y %H:%M and the like)",
        ),
        ("mapping.decimal_comma", "must be true or false"),
        ("mapping.ignore", "must be a list of column names"),
        ("mapping.delimiter", "must be one character"),
        ("mapping.encoding", "is not a known encoding"),
        ("mapping.sheet", "must be the name of a sheet"),
    ]
    for wrong in ('"yes"', "1", '"true"'):
        with pytest.raises(ValidationFailed):
            read_mapping(f"decimal_comma = {wrong}")
    assert read_mapping("decimal_comma = true").rules.decimal_comma is True
    assert read_mapping("decimal_comma = false").rules.decimal_comma is False


def test_a_value_map_translates_only_into_values_its_field_takes() -> None:
    text = """
        decimal_comma = true
        [values.circumstances]
        "Saisie" = "seizure"
        "a" = "bogus"
        "b" = 3
        [values.firearm_type]
        "Fusil" = "rifle"
        "Pistolet" = "Pistol"
        [values.location_country]
        "France" = "FR"
        "Allemagne" = "Germany"
        [values.quantity]
        "deux" = "2.5"
        [values.location_lat]
        "Port" = "43,1"
        [values.case_reference]
        "?" = ""
    """
    with pytest.raises(ValidationFailed) as refused:
        read_mapping(text)
    circumstances = ", ".join(c.value for c in Circumstances)
    types = ", ".join(t.value for t in FirearmType)
    assert [(p.field, p.detail) for p in refused.value.problems] == [
        ("mapping.values.circumstances.a", f"must be one of: {circumstances}"),
        ("mapping.values.circumstances.b", "must be text, the value as tracedesk names it"),
        ("mapping.values.firearm_type.Pistolet", f"must be one of: {types}"),
        (
            "mapping.values.location_country.Allemagne",
            "'Germany' is not an ISO 3166-1 alpha-2 country code",
        ),
        ("mapping.values.quantity.deux", "must be a whole number, not '2.5'"),
        ("mapping.values.case_reference.?", "cannot be empty: case_reference is required"),
    ]
    kept = read_mapping(
        'decimal_comma = true\n[values.circumstances]\n"Saisie" = "seizure"\n'
        '[values.location_lat]\n"Port" = "43,1"\n[values.possessor_name]\n"inconnu" = ""\n'
    )
    assert kept.translated("circumstances", " Saisie ") == "seizure"
    assert kept.values["location_lat"] == {"Port": "43,1"}


def test_exports_neutralise_formulas_and_imports_read_them_back(tmp_path: Path) -> None:
    row: dict[str, object] = dict.fromkeys(FIELDS)
    row |= {"recovery_key": "R1", "serial": "=HYPERLINK(1)", "other_markings": "@cmd"}
    row["location_lat"] = -33.5
    text = CsvExport().chunk([row])
    assert text.startswith("R1,") and ",'=HYPERLINK(1)," in text and ",'@cmd," in text
    assert ",-33.5," in text  # a number is never neutralised
    csv_path = tmp_path / "export.csv"
    csv_path.write_text(CsvExport().header() + text)
    (back,) = rows_of(csv_path)
    assert isinstance(back, SourceRow)
    assert back.cells["serial"] == "=HYPERLINK(1)" and back.cells["other_markings"] == "@cmd"

    path = tmp_path / "export.xlsx"
    workbook = XlsxExport(path)
    workbook.add([row])
    workbook.close()
    sheet = load_workbook(path).active
    serial = sheet.cell(row=2, column=list(FIELDS).index("serial") + 1)
    assert (serial.data_type, serial.value) == ("s", "'=HYPERLINK(1)")


FORMULA_LIKE = [" =1+2", "\u00a0=1+2", "\u3000=1+2", "＝1+2", "＋1", "－1", "＠SUM(A1)", "-1"]
KEPT_AS_IS = ["'s-Hertogenbosch", "a=b", "'", "O'Brien"]


@pytest.mark.parametrize("text", [*FORMULA_LIKE, *(f"'{t}" for t in FORMULA_LIKE), *KEPT_AS_IS])
def test_every_export_neutralises_formula_look_alikes_and_reads_back_what_was_written(
    tmp_path: Path, text: str
) -> None:
    # Found by probing: white space or full-width forms before "=" got through, and a
    # value written "'=x" came back as "=x".
    row: dict[str, object] = dict.fromkeys(FIELDS)
    row |= {"recovery_key": "R1", "other_markings": text}
    written = next(csv.DictReader(io.StringIO(CsvExport().header() + CsvExport().chunk([row]))))
    if text in KEPT_AS_IS:
        assert written["other_markings"] == text
    else:
        assert written["other_markings"] == "'" + text
    path = tmp_path / "export.csv"
    path.write_text(CsvExport().header() + CsvExport().chunk([row]))
    (back,) = rows_of(path)
    assert isinstance(back, SourceRow) and back.cells["other_markings"] == text


def test_a_day_whose_midnight_the_zone_skipped_starts_when_the_clocks_moved() -> None:
    # Found by review: Santiago puts its clocks forward at midnight; a date alone must
    # still be read, as the first moment of that day there was.
    rules = ReadingRules(ZoneInfo("America/Santiago"))
    for cell in ("2024-09-08", date(2024, 9, 8), datetime(2024, 9, 8)):
        value = read_cell(FIELDS["recovered_at"], cell, rules)  # type: ignore[arg-type]
        assert value == datetime(2024, 9, 8, 4, 0, tzinfo=UTC), cell


def test_parts_read_whole_are_bounded_whatever_their_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by review: openpyxl finds shared strings by content type, not by name.
    from service.adapters.tabular import xlsx

    monkeypatch.setattr(xlsx, "_MAX_HELD", 1024 * 1024)
    plain = tmp_path / "plain.xlsx"
    book = Workbook()
    book.active.append(HEADER.split(","))
    book.save(plain)
    renamed = tmp_path / "renamed.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(renamed, "w") as target:
        for part in source.infolist():
            target.writestr(part, source.read(part), compress_type=zipfile.ZIP_DEFLATED)
        target.writestr("xl/strings-elsewhere.xml", "<sst>" + "x" * 2_000_000 + "</sst>")
    with pytest.raises(UnreadableFile) as refused:
        rows_of(renamed, ImportFormat.XLSX)
    assert "shared strings and styles expand to" in refused.value.detail
