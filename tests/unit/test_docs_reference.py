"""The reference pages of docs/ say what the code does: the configuration table is
generated from the Settings class and current, every console command is documented, no
page names a setting that does not exist, and every relative link leads somewhere."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.adapters import settings_doc
from service.adapters.cli import _parser
from service.adapters.settings import Settings

ROOT = Path(__file__).parents[2]
PAGES = [
    ROOT / "README.md",
    ROOT / "bench" / "README.md",
    ROOT / "deploy" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]
# Named in the docs, read by something other than Settings.
NOT_SETTINGS = {
    "TRACEDESK_TEST_POSTGRES_URL",  # tests
    "TRACEDESK_REQUIRE_POSTGRES",  # tests
    "TRACEDESK_BENCH_POSTGRES",  # benchmarks
    # Examples of the variables a connections file names for a peer's secret.
    "TRACEDESK_BERLIN_SECRET",
    "TRACEDESK_PARTNER_BE_SECRET",
}


def test_the_configuration_reference_is_current() -> None:
    page = ROOT / settings_doc.DOCUMENT
    written = page.read_text(encoding="utf-8")
    assert settings_doc.render(written) == written, (
        f"{settings_doc.DOCUMENT} is stale: run `python -m service.adapters.settings_doc`"
    )


def test_the_reference_lists_every_setting_with_its_type_default_and_meaning() -> None:
    rows = settings_doc.table().splitlines()[2:]
    assert [row.split(" | ")[0].strip("|` ") for row in rows] == [
        f"TRACEDESK_{name.upper()}" for name in Settings.model_fields
    ]
    assert "| `TRACEDESK_PROCESSES` | integer (at least 1) | `1` |" in settings_doc.table()
    assert all(len(row.split(" | ")) == 4 and not row.endswith("|  |") for row in rows)


def test_a_setting_of_a_type_without_wording_stops_the_generator() -> None:
    with pytest.raises(TypeError, match="no wording for settings of type <class 'complex'>"):
        settings_doc.kind(complex)


def test_the_docs_name_only_settings_that_exist() -> None:
    settings = {settings_doc.variable(name) for name in Settings.model_fields}
    named = {
        (page.relative_to(ROOT).as_posix(), variable)
        for page in PAGES
        for variable in re.findall(r"TRACEDESK_[A-Z0-9_]+", page.read_text(encoding="utf-8"))
    }
    assert {(page, v) for page, v in named if v not in settings | NOT_SETTINGS} == set()


def _commands(parser: argparse.ArgumentParser, prefix: str) -> Iterator[str]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not actions:
        yield prefix
    for action in actions:
        for name, sub in action.choices.items():
            yield from _commands(sub, f"{prefix} {name}")


def test_every_console_command_is_documented() -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = list(_commands(_parser(), "tracedesk"))
    assert len(commands) > 15
    assert [command for command in commands if f"`{command}" not in page] == []


def test_relative_links_lead_to_files_that_exist() -> None:
    broken = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            if not path.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_the_architecture_picture_is_a_standalone_svg_the_page_shows() -> None:
    import xml.etree.ElementTree as ElementTree

    picture = ROOT / "docs" / "architecture.svg"
    root = ElementTree.parse(picture).getroot()  # noqa: S314 - our own file
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = picture.read_text(encoding="utf-8")
    # Nothing fetched from elsewhere: no links, images, fonts or styles by URL.
    assert re.findall(r"(?:href|src|url)\(?=?[\"']?(?:https?:)?//", text) == []
    assert "](architecture.svg)" in (ROOT / "docs" / "architecture.md").read_text()
