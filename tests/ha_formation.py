"""A pg_auto_failover formation of a test's own, made and removed by the scripts
operators use (deploy/ha/stand-up, deploy/ha/tear-down): a monitor, a primary and a
synchronous secondary on free loopback ports, in a directory under /tmp."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.debian_packages import install_when_missing, unavailable
from tests.e2e.servers import free_port

HA = Path(__file__).resolve().parent.parent / "deploy" / "ha"
PACKAGES = ("pg-auto-failover-cli", "postgresql-15-auto-failover")
PG_AUTOCTL = "/usr/bin/pg_autoctl"


@dataclass(frozen=True)
class Formation:
    directory: Path
    url: str  # what tracedesk is given: every node, read-write wanted
    monitor_port: int
    primary_port: int
    secondary_port: int

    def settings(self) -> dict[str, str]:
        lines = (self.directory / "formation.env").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def pg_autoctl(self, *arguments: str, timeout: float = 30) -> None:
        """pg_autoctl as the formation's owner, with its configuration where stand-up
        keeps it."""
        settings = self.settings()
        environment = {
            "PATH": f"{settings['FORMATION_BIN']}:/usr/bin:/bin",
            "HOME": str(self.directory),
            "XDG_CONFIG_HOME": str(self.directory / "config"),
            "XDG_DATA_HOME": str(self.directory / "share"),
            "XDG_RUNTIME_DIR": str(self.directory / "run"),
        }
        done = subprocess.run(  # noqa: S603 - pg_autoctl, fixed arguments
            [PG_AUTOCTL, *arguments],
            env=environment,
            user=settings["FORMATION_OWNER"] if os.geteuid() == 0 else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise AssertionError(f"pg_autoctl {' '.join(arguments)}: {done.stderr[-2000:]}")

    def stop_primary(self) -> None:
        """The first primary's node stopped at once, pg_autoctl and PostgreSQL alike,
        as a machine that dies would be."""
        self.pg_autoctl("stop", "--pgdata", str(self.directory / "node1"), "--immediate")
        # pg_autoctl only signals its service: gone means the port refuses connections.
        deadline = time.monotonic() + 30
        while _listening(self.primary_port):
            if time.monotonic() > deadline:
                raise AssertionError("the primary still accepts connections 30 s after stop")
            time.sleep(0.05)

    def switch_over(self) -> None:
        """A planned switchover, as an operator runs it: the primary is demoted and
        stays up as a standby, the secondary is promoted. Returns once both are done."""
        self.pg_autoctl(
            *("perform", "switchover", "--pgdata", str(self.directory / "monitor")),
            *("--formation", "default", "--group", "0", "--wait", "60"),
            timeout=90,
        )
        deadline = time.monotonic() + 60
        while not (_standby(self.primary_port) is True and _standby(self.secondary_port) is False):
            if time.monotonic() > deadline:
                raise AssertionError("the nodes did not swap roles within 60 s")
            time.sleep(0.1)

    def log(self, node: str) -> str:
        path = self.directory / "logs" / f"{node}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _standby(port: int) -> bool | None:
    """Whether the node on `port` is in recovery; None when it does not answer."""
    answer = subprocess.run(  # noqa: S603 - psql, fixed arguments
        [
            *("psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(port)),
            *("-U", "postgres", "-d", "postgres", "-c", "SELECT pg_is_in_recovery()"),
        ],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=10,
        env=os.environ | {"PGCONNECT_TIMEOUT": "2"},
    )
    return {"t": True, "f": False}.get(answer.stdout.strip())


def _installed() -> bool:
    return Path(PG_AUTOCTL).exists() and bool(
        list(Path("/usr/share/postgresql").glob("*/extension/pgautofailover.control"))
    )


@contextmanager
def ha_formation(*, fast_failover: bool = True) -> Iterator[Formation]:
    """A formation up until the block ends, then stopped and removed even if the block
    or the stand-up failed; skipped (failed under TRACEDESK_REQUIRE_POSTGRES=1) when
    pg_auto_failover is not installed and cannot be."""
    install_when_missing(PACKAGES, _installed)
    if not _installed():
        unavailable(f"pg_auto_failover is not installed (apt-get install {' '.join(PACKAGES)})")
    directory = Path(tempfile.mkdtemp(prefix="tracedesk-ha-"))
    ports = [free_port() for _ in range(3)]
    try:
        made = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [
                str(HA / "stand-up"),
                *("--directory", str(directory), "--monitor-port", str(ports[0])),
                *("--node-ports", f"{ports[1]},{ports[2]}", "--timeout", "90"),
                *(["--fast-failover"] if fast_failover else []),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if made.returncode != 0:
            logs = "\n".join(
                f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
                for log in sorted((directory / "logs").glob("*.log"))
            )
            raise AssertionError(f"stand-up failed:\n{made.stderr}\n{logs}")
        url = made.stdout.strip().splitlines()[-1].removeprefix("TRACEDESK_DATABASE_URL=")
        yield Formation(directory, url, *ports)
    finally:
        if (directory / "formation.env").exists():
            subprocess.run(  # noqa: S603 - our own script, fixed arguments
                [str(HA / "tear-down"), str(directory)], capture_output=True, timeout=60
            )
        shutil.rmtree(directory, ignore_errors=True)
