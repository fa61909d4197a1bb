"""Alembic environment: runs on the connection `service.adapters.persistence.schema`
hands over, so migrations work the same from the CLI, the server and the tests."""

from __future__ import annotations

from alembic import context

from service.adapters.persistence.tables import metadata


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("tracedesk migrations run online only: use `tracedesk db upgrade`")
run_migrations_online()
