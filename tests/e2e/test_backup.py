"""Drill: the backups docs/operations.md describes, restored. A base backup with WAL
archiving brought back to a point in time holds what was written before it and nothing
after, and its audit chain verifies; a logical dump restored into another database is
the same trail."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.e2e.servers import production_environment, run
from tests.private_postgres import PrivatePostgres, private_postgres

pytestmark = pytest.mark.e2e


@pytest.fixture
def archiving() -> Iterator[PrivatePostgres]:
    """A server archiving its WAL (archive_command copies each segment), as
    docs/operations.md sets one up."""
    with private_postgres() as server:
        archive = server.own(server.directory / "archive")
        server.stop()
        server.settings |= {
            "archive_mode": "on",
            "archive_command": f"'test ! -f {archive}/%f && cp %p {archive}/%f'",
        }
        server.start()
        server.sql("CREATE DATABASE tracedesk")
        yield server


def tracedesk(server: PrivatePostgres, *arguments: str, database: str = "tracedesk") -> str:
    env = production_environment(TRACEDESK_DATABASE_URL=server.url(database))
    done = run(env, *arguments)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def agencies(server: PrivatePostgres, database: str = "tracedesk") -> set[str]:
    listed = tracedesk(server, "admin", "list-agencies", database=database)
    return {json.loads(line)["name"] for line in listed.splitlines()}


def test_a_base_backup_is_restored_to_a_point_in_time_and_verifies(
    archiving: PrivatePostgres,
) -> None:
    server = archiving
    tracedesk(server, "db", "upgrade")
    tracedesk(server, "admin", "create-agency", "--name", "Before Police", "--country", "FR")
    base = server.directory / "base"
    server.run(
        "pg_basebackup", "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres",
        "-D", str(base), "--wal-method=stream", "--checkpoint=fast",
    )  # fmt: skip
    tracedesk(server, "admin", "create-agency", "--name", "Kept Police", "--country", "FR")
    target = server.sql("SELECT now()")
    server.sql("SELECT pg_sleep(0.2)")
    tracedesk(server, "admin", "create-agency", "--name", "Later Police", "--country", "FR")
    events_at_end = int(server.sql("SELECT count(*) FROM audit_events", "tracedesk"))
    server.sql("SELECT pg_switch_wal()")  # the segment holding the last change is archived
    archive = server.directory / "archive"
    server.sql("CHECKPOINT")
    server.stop()

    # The restore, as docs/operations.md writes it: the base backup, a restore_command
    # that reads the archive, the target, and recovery.signal.
    restored = server.beside(
        base,
        restore_command=f"'cp {archive}/%f %p'",
        recovery_target_time=f"'{target}'",
        recovery_target_action="promote",
    )
    # Whoever owns it: the server only reads and removes it, in a directory of its own.
    (base / "recovery.signal").touch()
    restored.start()
    try:
        for _ in range(100):
            if restored.sql("SELECT pg_is_in_recovery()") == "f":
                break
            restored.sql("SELECT pg_sleep(0.1)")
        assert agencies(restored) == {"Before Police", "Kept Police"}
        verified = tracedesk(restored, "audit", "verify")
        assert verified.startswith("ok: "), verified
        # Restored to the target: the events of the agency written after it are not there.
        events_then = int(verified.split()[1])
        assert events_then < events_at_end, "nothing was cut off"

        # A logical dump of the restored database, into another: the same trail.
        dump = restored.directory / "tracedesk.dump"
        restored.run(
            "pg_dump", "-h", "127.0.0.1", "-p", str(restored.port), "-U", "postgres",
            "-Fc", "-f", str(dump), "tracedesk",
        )  # fmt: skip
        restored.sql("CREATE DATABASE copied")
        restored.run(
            "pg_restore", "-h", "127.0.0.1", "-p", str(restored.port), "-U", "postgres",
            "-d", "copied", "--exit-on-error", str(dump),
        )  # fmt: skip
        assert agencies(restored, "copied") == {"Before Police", "Kept Police"}
        assert tracedesk(restored, "audit", "verify", database="copied") == verified
    finally:
        restored.stop("immediate")
