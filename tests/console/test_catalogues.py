"""The console's message catalogues: the template (`messages.pot`) is what the code and
templates say today, every message is translated in every language with its placeholders
kept, and every catalogue compiles. The extraction run here is the one docs/console.md
documents, read from it, so the documented commands cannot drift from the test."""

from __future__ import annotations

import gettext
import re
import shlex
from collections import Counter
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from service.adapters.console import i18n
from service.domain.identity import LANGUAGES

ROOT = Path(__file__).parents[2]
CONSOLE = ROOT / "service" / "adapters" / "console"
LOCALES = CONSOLE / "locales"
TEMPLATE = LOCALES / "messages.pot"
DOCS = ROOT / "docs" / "console.md"
TRANSLATED = [language for language in LANGUAGES if language != i18n.DEFAULT_LANGUAGE]

# %(name)s, %s, %d, %.1f ... and %% (a literal per cent sign, kept as it is).
PYTHON_FORMAT = re.compile(
    r"%(?:\((?P<name>\w+)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]"
)
BRACE_FORMAT = re.compile(r"\{\{|\}\}|\{[^{}]*\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def documented_commands() -> list[str]:
    """The pybabel commands of docs/console.md, in order: extract, then update."""
    commands = [
        line.strip()
        for line in DOCS.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("../../../.venv/bin/pybabel ")
    ]
    assert [shlex.split(c)[1] for c in commands] == ["extract", "update"], (
        "docs/console.md should give the catalogue commands as two lines, "
        "`../../../.venv/bin/pybabel extract ...` then `../../../.venv/bin/pybabel update ...`"
    )
    return commands


def how_to_update() -> str:
    return (
        "Run, from the repository's root:\n\n    cd service/adapters/console\n    "
        + "\n    ".join(documented_commands())
        + "\n\nthen translate the new entries (no fuzzy ones) in each "
        "locales/<language>/LC_MESSAGES/messages.po (see docs/console.md, Languages)."
    )


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=language)


def key(message: Message) -> str:
    """A message as a developer finds it in the .po file."""
    if isinstance(message.id, tuple):
        return f"msgid {message.id[0]!r} / msgid_plural {message.id[1]!r}"
    return f"msgid {message.id!r}"


def messages(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {message.id for message in messages(catalog)}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What the documented extraction makes of today's code, written to a temporary file."""
    output = tmp_path_factory.mktemp("catalogues") / "messages.pot"
    arguments = shlex.split(documented_commands()[0])
    where = arguments.index("-o") + 1
    assert arguments[where] == "locales/messages.pot", arguments
    arguments[where] = str(output)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(CONSOLE)
        status = CommandLineInterface().run(["pybabel", "--quiet", *arguments[1:]])
    assert status in (0, None), f"the documented extraction failed: {arguments}"
    return read(output)


def test_the_template_is_what_the_code_says(extracted: Catalog) -> None:
    committed = read(TEMPLATE)
    new = sorted(map(str, ids(extracted) - ids(committed)))
    gone = sorted(map(str, ids(committed) - ids(extracted)))
    assert not new and not gone, (
        "locales/messages.pot is out of date with the code and templates.\n"
        f"Messages the code has and the template lacks: {new}\n"
        f"Messages the template has and the code no longer says: {gone}\n" + how_to_update()
    )


def test_plurals_are_extracted_as_plurals(extracted: Catalog) -> None:
    """ngettext_ in handlers and ngettext in templates both give plural entries (the
    keyword is -k ngettext_:1,2; without :1,2 the plural form is lost)."""
    plural = {message.id[0] for message in messages(extracted) if isinstance(message.id, tuple)}
    assert "%(num)s record of %(agency)s" in plural  # ngettext_, in routes/networks.py
    assert "%(num)s node" in plural  # ngettext, in dashboard.html


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    catalog = read(path, language)
    template = read(TEMPLATE)
    lacking = sorted(map(str, ids(template) - ids(catalog)))
    extra = sorted(map(str, ids(catalog) - ids(template)))
    assert not lacking and not extra, (
        f"{path.relative_to(ROOT)} is not updated from the template.\n"
        f"Missing: {lacking}\nNot in the template: {extra}\n" + how_to_update()
    )
    problems = []
    for message in messages(catalog):
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy (check it, then remove the '#, fuzzy' line): {key(message)}")
        elif not all(forms):
            problems.append(f"untranslated: {key(message)}")
    assert not problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


def placeholders(text: str) -> Counter[str]:
    """The parts of a message a translation must keep exactly: %-format placeholders,
    {braces} and HTML tags."""
    found = Counter(match[0] for match in PYTHON_FORMAT.finditer(text))
    found.update(m[0] for m in BRACE_FORMAT.finditer(text) if m[0] not in ("{{", "}}"))
    found.update(HTML_TAG.findall(text))
    return found


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_message(language: str) -> None:
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    catalog = read(path, language)
    problems = []
    for message in messages(catalog):
        if isinstance(message.id, tuple):
            sources = [placeholders(message.id[0]), placeholders(message.id[1])]
            wanted = sources[1] | sources[0]
            forms = list(message.string)
            if len(forms) != catalog.num_plurals:
                problems.append(
                    f"{key(message)}: {len(forms)} plural forms, "
                    f"the language has {catalog.num_plurals}"
                )
        else:
            wanted = placeholders(message.id)
            forms = [message.string]
        for index, form in enumerate(forms):
            if not form:
                continue  # reported as untranslated
            where = f"msgstr[{index}]" if isinstance(message.id, tuple) else "msgstr"
            got = placeholders(form)
            if got != wanted:
                problems.append(
                    f"{key(message)}: {where} {form!r} has {sorted(got.elements())}, "
                    f"the message has {sorted(wanted.elements())}"
                )
            if "%" in PYTHON_FORMAT.sub("", form):
                problems.append(
                    f"{key(message)}: {where} {form!r} has a lone %; write %% for a per cent "
                    "sign (templates format every message)"
                )
    assert not problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_plural_rule_is_the_languages(language: str) -> None:
    """The Plural-Forms header is CLDR's for the language (Arabic: six forms, zero, one,
    two, few (3 to 10), many (11 to 99), other)."""
    catalog = read(LOCALES / language / "LC_MESSAGES" / "messages.po", language)
    expected = get_plural(language)
    assert catalog.num_plurals == expected.num_plurals
    header, rule = gettext.c2py(catalog.plural_expr), gettext.c2py(expected.plural_expr)
    wrong = [n for n in range(0, 1201) if header(n) != rule(n)]
    assert not wrong, f"{language}: the Plural-Forms header is wrong for n in {wrong[:10]}"


def test_arabic_has_six_plural_forms_in_the_expected_places() -> None:
    catalog = read(LOCALES / "ar" / "LC_MESSAGES" / "messages.po", "ar")
    plural = gettext.c2py(catalog.plural_expr)
    assert catalog.num_plurals == 6
    assert [plural(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111, 1000)] == [
        0,
        1,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
        3,
        4,
        5,
    ]


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogues_compile_without_errors(language: str) -> None:
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    catalog = read(path, language)
    errors = [
        f"{key(message)} (line {message.lineno}): {'; '.join(map(str, problems))}"
        for message, problems in catalog.check()
    ]
    assert not errors, f"{path.relative_to(ROOT)} does not compile:\n  " + "\n  ".join(errors)
    binary = BytesIO()
    write_mo(binary, catalog, use_fuzzy=False)
    binary.seek(0)
    compiled = gettext.GNUTranslations(binary)
    for message in messages(catalog):
        if isinstance(message.id, tuple):
            for n in range(0, 120):
                translated = compiled.ngettext(message.id[0], message.id[1], n)
                assert translated in message.string, (key(message), n)
        else:
            assert compiled.gettext(message.id) == message.string, key(message)


def test_the_console_compiles_every_language_at_start() -> None:
    compiled = i18n.catalogues()
    assert set(compiled) == set(LANGUAGES)
    assert compiled["fr"].gettext("Trace requests") == "Demandes de traçage"
    assert compiled["es"].gettext("Trace requests") == "Solicitudes de rastreo"
    assert compiled["ar"].gettext("Trace requests") == "طلبات التتبع"
    assert compiled["ar"].ngettext("%(num)s node", "%(num)s nodes", 11) == "%(num)s عقدة"
