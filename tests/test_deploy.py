"""What deploy/ ships, checked as systemd itself reads it: every unit verifies cleanly
against a throwaway root holding the paths it names, and runs the service as its own
user, with the code read-only and only its state directory writable."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).parents[1] / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def test_the_server_and_the_worker_have_units() -> None:
    assert [unit.name for unit in UNITS] == ["tracedesk-worker.service", "tracedesk.service"]


@pytest.fixture
def throwaway_root(tmp_path: Path) -> Path:
    if shutil.which("systemd-analyze") is None or not SYSTEM_UNITS.is_dir():
        pytest.skip("systemd is not installed here")
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    program = root / "opt/tracedesk/.venv/bin/tracedesk"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    (root / "etc/tracedesk").mkdir(parents=True)
    shutil.copy(DEPLOY / "tracedesk.env.example", root / "etc/tracedesk/tracedesk.env")
    installed = root / "etc/systemd/system"
    installed.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, installed)
    return root


@pytest.mark.parametrize("unit", [unit.name for unit in UNITS])
def test_systemd_verifies_the_unit_without_a_complaint(throwaway_root: Path, unit: str) -> None:
    verified = subprocess.run(  # noqa: S603 - systemd's own verifier, fixed arguments
        ["systemd-analyze", "verify", f"--root={throwaway_root}", unit],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == "", verified.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_the_service_cannot_change_its_own_code(unit: Path) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read(unit)
    service = parser["Service"]
    assert service["User"] == "tracedesk"
    assert service["ProtectSystem"] == "strict"
    assert service["StateDirectory"] == "tracedesk"
    assert "ReadWritePaths" not in service, "the state directory is the only writable one"
    assert service["ExecStart"].startswith("/opt/tracedesk/.venv/bin/tracedesk ")
    assert service["EnvironmentFile"] == "/etc/tracedesk/tracedesk.env"
