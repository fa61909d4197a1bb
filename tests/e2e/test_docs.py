"""Every shell example in README.md and docs/ works as written: they run in order, in one
bash session, against a real `tracedesk serve --migrate --demo` on a temporary SQLite
database, and print what the docs show. The console commands in them reach the same
database through the same environment, as they would in a reader's checkout.

The conventions (`sh` blocks run, a `text` block after one is its output, `<!-- not
run: why -->` leaves one out) are in tests/e2e/doc_examples.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.databases import sqlite_url
from tests.e2e.doc_examples import (
    DocFormatError,
    Example,
    ShellSession,
    examples,
    mismatch,
)
from tests.e2e.servers import production_environment, serving

ROOT = Path(__file__).parents[2]
# The tour first: it signs in and records what later pages refer to.
FIRST = ["README.md", "docs/tour.md"]
DOCUMENTED_BASE = "127.0.0.1:8000"
# Examples left out need a second instance, an operator's machine, or would change the
# checkout; keep them few.
MOST_LEFT_OUT = 10
EXAMPLE_TIMEOUT_SECONDS = 90


def documents() -> list[str]:
    others = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))
    return FIRST + [name for name in others if name not in FIRST]


def all_examples() -> list[Example]:
    found = []
    for name in documents():
        found += examples((ROOT / name).read_text(encoding="utf-8"), name)
    return found


LEFT_OUT = [example for example in all_examples() if example.not_run]


def reader_checkout(directory: Path) -> Path:
    """A directory that looks like a reader's checkout to the examples: `.venv/bin/
    tracedesk` is this interpreter's tracedesk, `deploy/` the repository's."""
    bin_directory = directory / ".venv" / "bin"
    bin_directory.mkdir(parents=True)
    for name, module in (("tracedesk", "service.adapters.cli"),):
        script = bin_directory / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n')
        script.chmod(0o755)
    (directory / "deploy").symlink_to(ROOT / "deploy")
    return directory


@pytest.mark.e2e
def test_the_documented_examples_work_as_written(tmp_path: Path) -> None:
    env = production_environment(
        TRACEDESK_DATABASE_URL=sqlite_url(tmp_path),
        # Uploads and photos stay in this test's directory, not in the machine's temp dir.
        TRACEDESK_IMPORT_DIRECTORY=str(tmp_path / "imports"),
        TRACEDESK_PHOTO_DIR=str(tmp_path / "photos"),
    )
    env["PYTHONPATH"] = str(ROOT)
    checkout = reader_checkout(tmp_path / "checkout")
    runnable = [example for example in all_examples() if not example.not_run]
    assert any(example.path == "docs/tour.md" for example in runnable)
    with serving(env, tmp_path / "server.log", "--demo") as (base, _):
        served = base.removeprefix("http://")
        session = ShellSession(checkout, env)
        try:
            for example in runnable:
                output, failed = session.run(
                    example.code.replace(DOCUMENTED_BASE, served),
                    timeout=EXAMPLE_TIMEOUT_SECONDS,
                )
                assert failed is None, f"{example.where}: `{failed}` failed; it printed:\n{output}"
                if example.shown is None:
                    continue
                problem = mismatch(example.shown.replace(DOCUMENTED_BASE, served), output)
                assert problem is None, (
                    f"{example.where}: {problem}\n--- the docs show:\n{example.shown}\n"
                    f"--- it printed:\n{output}"
                )
        finally:
            session.close()


@pytest.mark.parametrize("example", LEFT_OUT, ids=[example.where for example in LEFT_OUT])
def test_an_example_left_out_says_why(example: Example) -> None:
    """Reported as skipped, with the reason the docs give, so every run counts them."""
    pytest.skip(f"{example.where} not run: {example.not_run}")


def test_few_examples_are_left_out() -> None:
    assert 0 < len(LEFT_OUT) <= MOST_LEFT_OUT, [example.where for example in LEFT_OUT]


# The rules the run above relies on, checked on their own.


def test_shown_output_must_be_there_in_order_with_marked_elisions() -> None:
    real = '{\n  "a": 1,\n  "b": "two",\n  "c": [3]\n}'
    assert mismatch('{\n  "a": 1,\n  ...\n}', real) is None
    assert mismatch('{\n  "a": ...,\n  "b": "t...",\n  ...\n}', real) is None
    assert mismatch('{\n  "b": "two",\n  ...', real) == (
        "every shown line is there, but not in that order or with more lines between"
    )
    assert mismatch('{\n  "a": 2,\n  ...', real) == "not in the output: '  \"a\": 2,'"
    assert mismatch('{\n  "a": 1,\n  "c": [3]\n}', real) is not None  # "b" left out silently
    assert mismatch("...\n}", real) is None


def test_blocks_are_read_with_their_output_and_their_reason_to_be_left_out() -> None:
    text = (
        "Intro.\n\n```sh\necho hi\n```\n\n```text\nhi\n```\n\nThen:\n\n"
        "<!-- not run: needs a second instance -->\n```sh\ncurl elsewhere\n```\n\n"
        "```sh\necho bye\n```\n\nprose\n\n```text\nnot an output\n```\n"
    )
    found = examples(text, "x.md")
    assert [(e.line, e.code, e.shown, e.not_run) for e in found] == [
        (3, "echo hi", "hi", None),
        (14, "curl elsewhere", None, "needs a second instance"),
        (18, "echo bye", None, None),
    ]


def test_shell_examples_under_another_label_are_refused() -> None:
    with pytest.raises(DocFormatError, match="x.md:1: label shell examples `sh`"):
        examples("```bash\necho hi\n```\n", "x.md")


def test_the_session_keeps_variables_and_reports_a_failing_command(tmp_path: Path) -> None:
    session = ShellSession(tmp_path, dict(os.environ))
    try:
        assert session.run("GREETING=hello", timeout=10) == ("", None)
        assert session.run('echo "$GREETING"; false; echo after', timeout=10) == (
            "hello\nafter",
            "false",
        )
    finally:
        session.close()
