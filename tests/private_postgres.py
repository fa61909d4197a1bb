"""A PostgreSQL server of a test's own, to stop, restart or make read-only without
touching the shared one: initdb in a temporary directory, listening on a free loopback
port. As root, the server runs as the `postgres` user (PostgreSQL refuses root)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.servers import free_port


def _binaries() -> Path | None:
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if installed:
        return installed[-1].parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


class PrivatePostgres:
    def __init__(
        self,
        directory: Path,
        port: int,
        binaries: Path,
        user: str | None,
        settings: dict[str, str] | None = None,
        data: Path | None = None,
    ) -> None:
        self.directory = directory
        self.port = port
        self._binaries = binaries
        self._user = user
        self.settings = dict(settings or {})
        self._data = data

    @property
    def data(self) -> Path:
        return self._data or self.directory / "data"

    def beside(self, data: Path, **settings: str) -> PrivatePostgres:
        """Another server of the same programs and user on a data directory of its own
        (a restored backup), on another free port."""
        return PrivatePostgres(
            self.directory, free_port(), self._binaries, self._user, settings, data
        )

    def own(self, path: Path) -> Path:
        """`path` (created), owned by the server's user: somewhere it may write."""
        path.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            owner = pwd.getpwnam(self._user)
            os.chown(path, owner.pw_uid, owner.pw_gid)
        return path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, program: str, *arguments: str, timeout: float = 60) -> str:
        """One of PostgreSQL's programs, as the server's user; its standard output."""
        completed = subprocess.run(  # noqa: S603 - PostgreSQL's own programs, fixed arguments
            [str(self._binaries / program), *arguments],
            user=self._user,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.directory,
        )
        if completed.returncode != 0:
            raise AssertionError(f"{program} {' '.join(arguments)}: {completed.stderr}")
        return completed.stdout

    def initialise(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.directory} -c fsync=off "
            "-c max_connections=50 -c shared_buffers=32MB"
        ) + "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self.run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.data.parent / f"{self.data.name}.log"),
            "-o", options, "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def sql(self, statement: str, database: str = "postgres") -> str:
        """The statement's result, unaligned and without headers."""
        return self.run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-c", statement,
        ).strip()  # fmt: skip


@contextmanager
def private_postgres(**settings: str) -> Iterator[PrivatePostgres]:
    """A running server until the block ends, its files removed after; skipped (failed
    under TRACEDESK_REQUIRE_POSTGRES=1) when PostgreSQL's programs are not installed."""
    binaries = _binaries()
    if binaries is None or not (binaries / "initdb").exists():
        message = "PostgreSQL's server programs (initdb, pg_ctl) are not installed"
        if os.environ.get("TRACEDESK_REQUIRE_POSTGRES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # Under the system's temporary directory, which the server's user can reach (pytest's
    # own temporary tree is private to the user running the tests).
    directory = Path(tempfile.mkdtemp(prefix="tracedesk-postgres-"))
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        owner = pwd.getpwnam(user)
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    server = PrivatePostgres(directory, free_port(), binaries, user, settings)
    try:
        server.initialise()
        server.start()
        yield server
    finally:
        with contextlib.suppress(AssertionError):  # not running: stopped by the test
            server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)
