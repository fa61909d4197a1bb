"""The domain's messages reach the reader in the reader's language: every literal one is
in the catalogues, and those that carry a value are matched by their shape."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from service.adapters.console import i18n
from service.adapters.console.domain_messages import DOMAIN_MESSAGES, said_to_reader

DOMAIN = Path(__file__).parents[2] / "service" / "domain"
REFUSALS = ("InvalidValue", "SkippedTime", "RepeatedTime")


def literal_messages() -> set[str]:
    found = set()
    for path in DOMAIN.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in REFUSALS
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                found.add(node.args[1].value)
    return found


def test_every_literal_message_of_the_domain_is_in_the_catalogues() -> None:
    missing = literal_messages() - set(DOMAIN_MESSAGES)
    assert not missing, f"add to service/adapters/console/domain_messages.py: {sorted(missing)}"


@pytest.mark.parametrize(
    ("detail", "french"),
    [
        ("lat and lon are given together or not at all", "la latitude et la longitude"),
        ("must be at most 64 characters", "doit compter au plus 64 caractères"),
        ("'XF' is not an ISO 3166-1 alpha-2 country code", "'XF' n’est pas un code de pays"),
        (
            "must not contain control or invisible characters (U+0000)",
            "ne doit pas contenir de caractères de contrôle ou invisibles (U+0000)",
        ),
        ("a message nobody translated", "a message nobody translated"),
    ],
)
def test_a_domain_message_is_said_in_the_readers_language(detail: str, french: str) -> None:
    i18n.read_as("fr", i18n.zone("UTC"))
    try:
        assert said_to_reader(detail).startswith(french)
    finally:
        i18n.read_as(i18n.DEFAULT_LANGUAGE, i18n.zone("UTC"))
