"""The relational schema, as SQLModel tables. Changes go through Alembic migrations;
`tests/contract/test_migrations.py` fails when these and the migrations disagree.

One module per feature; the tables are named here, as the repositories read them
(`tables.recoveries`). Importing this package declares every table in `metadata`."""

from sqlmodel import SQLModel

from service.adapters.persistence.tables.audit import audit_events, audit_head
from service.adapters.persistence.tables.identity import (
    agencies,
    api_keys,
    console_sessions,
    refresh_tokens,
    service_accounts,
    sign_in_failures,
    users,
)
from service.adapters.persistence.tables.imports import (
    import_jobs,
    import_rejects,
    imported_keys,
)
from service.adapters.persistence.tables.networks import (
    network_links,
    network_nodes,
    network_rules,
    networks,
)
from service.adapters.persistence.tables.outbox import outbox
from service.adapters.persistence.tables.recoveries import (
    identifier_anchors,
    identifier_deletions,
    identifier_transliterations,
    item_identifiers,
    item_photos,
    recoveries,
    recovery_corrections,
    recovery_items,
)
from service.adapters.persistence.tables.registries import (
    registry_hits,
    registry_keys,
    registry_records,
)
from service.adapters.persistence.tables.tracing import (
    received_exchanges,
    trace_messages,
    trace_requests,
    trace_responses,
    trace_transitions,
)

metadata = SQLModel.metadata

__all__ = [
    "agencies",
    "api_keys",
    "console_sessions",
    "refresh_tokens",
    "service_accounts",
    "sign_in_failures",
    "users",
    "identifier_anchors",
    "identifier_deletions",
    "identifier_transliterations",
    "item_identifiers",
    "item_photos",
    "recoveries",
    "recovery_corrections",
    "recovery_items",
    "audit_events",
    "audit_head",
    "received_exchanges",
    "trace_messages",
    "trace_requests",
    "trace_responses",
    "trace_transitions",
    "registry_hits",
    "registry_keys",
    "registry_records",
    "outbox",
    "network_links",
    "network_nodes",
    "network_rules",
    "networks",
    "import_jobs",
    "import_rejects",
    "imported_keys",
    "metadata",
]
