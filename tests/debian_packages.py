"""Debian packages a drill needs beyond the Python ones (pg_auto_failover, podman):
installed with apt-get when missing and the tests run as root, as in CI. When they are
missing and cannot be installed, the drill is skipped on a developer's machine and fails
in CI (TRACEDESK_REQUIRE_POSTGRES=1), so that CI never passes without having run it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from typing import NoReturn

import pytest


def install_when_missing(packages: Sequence[str], installed: Callable[[], bool]) -> None:
    """`packages` installed unless `installed()` says they are, or this is not root on a
    Debian machine; whether it worked is for the caller to ask `installed()` again."""
    if installed() or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return
    subprocess.run(  # noqa: S603 - apt-get, fixed arguments
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],  # noqa: S607
        env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        timeout=300,
    )


def unavailable(message: str) -> NoReturn:
    """Skip the drill, or fail it where CI requires it to run."""
    if os.environ.get("TRACEDESK_REQUIRE_POSTGRES") == "1":
        pytest.fail(message + " (TRACEDESK_REQUIRE_POSTGRES=1)", pytrace=False)
    pytest.skip(message)
