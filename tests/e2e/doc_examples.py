"""The shell examples of the documentation, as a test runs them: read from the markdown,
run in order in one bash session, and their output compared with what the docs show.

Conventions the docs follow (docs/development.md explains them to writers):
- a fenced block marked `sh` is an example to run; `bash`, `shell` and `console` are not
  used, so that no example escapes the test by its label;
- a fenced `text` block right after a `sh` block (nothing but blank lines between) is the
  output that block prints: every line shown must be there, in order and consecutive; a
  line `...` stands for any number of lines, and `...` within a line for any text;
- `<!-- not run: why -->` before a block leaves it out, and says why.
"""

from __future__ import annotations

import os
import re
import secrets
import selectors
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

NOT_RUN = re.compile(r"<!--\s*not run:\s*(.+?)\s*-->")
FENCE = re.compile(r"^```(\S*)\s*$")
SHELL_LABELS = {"bash", "shell", "console", "zsh"}


@dataclass(frozen=True)
class Example:
    """One `sh` block, where it is, the output the docs show after it (if any), and why
    it is not run (if it is not)."""

    path: str
    line: int
    code: str
    shown: str | None
    not_run: str | None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


class DocFormatError(Exception):
    """The markdown breaks a convention the test relies on."""


def examples(text: str, path: str) -> list[Example]:
    """The `sh` blocks of a markdown document, in order."""
    lines = text.splitlines()
    blocks: list[tuple[int, str, str, str | None]] = []  # line, label, body, not run
    pending: str | None = None
    between: list[str] = []  # what lies between the previous block and this one
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence is None and lines[index].lstrip().startswith("```"):
            raise DocFormatError(f"{path}:{index + 1}: code blocks start at the margin")
        if fence is None:
            marker = NOT_RUN.search(lines[index])
            if marker:
                pending = marker.group(1)
            between.append(lines[index])
            index += 1
            continue
        start, label = index, fence.group(1)
        index += 1
        body = []
        while index < len(lines) and lines[index] != "```":
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise DocFormatError(f"{path}:{start + 1}: a code block is never closed")
        index += 1
        if label in SHELL_LABELS:
            raise DocFormatError(
                f"{path}:{start + 1}: label shell examples `sh` (run by the docs test), "
                f"not `{label}`"
            )
        attached = not any(line.strip() for line in between)
        blocks.append((start + 1, label, "\n".join(body), pending if label == "sh" else None))
        if label == "text" and attached and len(blocks) > 1 and blocks[-2][1] == "sh":
            blocks[-1] = (start + 1, "output", "\n".join(body), None)
        if label != "sh" and pending is not None:
            raise DocFormatError(f"{path}:{start + 1}: `not run` marks only `sh` blocks")
        pending, between = None, []
    found = []
    for number, (line, label, body, not_run) in enumerate(blocks):
        if label != "sh":
            continue
        following = blocks[number + 1] if number + 1 < len(blocks) else None
        shown = following[2] if following and following[1] == "output" else None
        found.append(Example(path, line, body, shown, not_run))
    return found


def _line_pattern(shown: str) -> re.Pattern[str]:
    parts = [re.escape(part) for part in shown.split("...")]
    return re.compile(".*?".join(parts))


def mismatch(shown: str, real: str) -> str | None:
    """Why the real output does not show what the docs show, or None when it does."""
    want = [line.rstrip() for line in shown.strip("\n").splitlines()]
    have = [line.rstrip() for line in real.rstrip("\n").splitlines()]

    def match(w: int, h: int) -> bool:
        # Matches want[w:] against have[h:]; "..." lines skip any number of lines.
        while w < len(want):
            if want[w].strip() == "...":
                return any(match(w + 1, skip) for skip in range(h, len(have) + 1))
            if h >= len(have) or not _line_pattern(want[w]).fullmatch(have[h]):
                return False
            w, h = w + 1, h + 1
        return h == len(have)

    if match(0, 0):
        return None
    # Name the first shown line that cannot be found at all, if there is one.
    for line in want:
        if line.strip() != "..." and not any(_line_pattern(line).fullmatch(h) for h in have):
            return f"not in the output: {line!r}"
    return "every shown line is there, but not in that order or with more lines between"


class ShellSession:
    """One bash process that runs the examples in turn, so variables and functions defined
    by one example serve the next, as in a reader's terminal. Standard error goes where
    standard output goes, as on a terminal; a command that fails is reported."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],  # noqa: S607 - the shell the docs are written for
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.mark = f"__docs_example_done_{secrets.token_hex(8)}__"
        self.failure_mark = f"__docs_example_failed_{secrets.token_hex(8)}__"
        # Stricter than a terminal: a failing command or an unset variable is reported.
        self._send(f"set -u -o pipefail\ntrap 'echo \"{self.failure_mark} $BASH_COMMAND\"' ERR\n")

    def _send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode())
        self.process.stdin.flush()

    def run(self, code: str, *, timeout: float) -> tuple[str, str | None]:
        """The output of `code`, and the failing command, if one failed."""
        self._send(f"{code}\nprintf '\\n%s\\n' '{self.mark}'\n")
        assert self.process.stdout is not None
        output = bytearray()
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        ending = f"\n{self.mark}\n".encode()
        try:
            while not output.endswith(ending):
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(timeout=left):
                    raise TimeoutError(f"no end after {timeout} s; so far:\n{output.decode()}")
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    raise EOFError(f"the shell ended; its last output:\n{output.decode()}")
                output += chunk
        finally:
            selector.close()
        text = output[: -len(ending)].decode()
        failed = None
        kept = []
        for line in text.split("\n"):
            if line.startswith(self.failure_mark):
                failed = failed or line[len(self.failure_mark) :].strip()
            else:
                kept.append(line)
        return "\n".join(kept).rstrip("\n"), failed

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
