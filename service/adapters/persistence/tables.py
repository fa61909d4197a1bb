"""The relational schema, as SQLModel tables. Changes go through Alembic migrations;
`tests/contract/test_migrations.py` fails when these and the migrations disagree."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.adapters.persistence.types import UtcDateTime, json_document, key_text

metadata = SQLModel.metadata


class AgencyRow(SQLModel, table=True):
    __tablename__ = "agencies"

    id: UUID = Field(primary_key=True)
    name: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    country: str = Field(max_length=2)
    kind: str = Field(max_length=32)
    created_at: datetime = Field(sa_type=UtcDateTime)
    peer: str | None = Field(default=None, max_length=64)


class RecoveryRow(SQLModel, table=True):
    __tablename__ = "recoveries"
    __table_args__ = (
        sa.Index("ix_recoveries_agency_recovered_at", "agency_id", "recovered_at", "id"),
        sa.Index("ix_recoveries_agency_case_reference", "agency_id", "case_reference"),
    )

    id: UUID = Field(primary_key=True)
    agency_id: UUID = Field(foreign_key="agencies.id")
    case_reference: str = Field(max_length=64)
    recovered_at: datetime = Field(sa_type=UtcDateTime)
    location_description: str = Field(max_length=500)
    location_country: str = Field(max_length=2)
    location_lat: float | None = None
    location_lon: float | None = None
    circumstances: str = Field(max_length=32)
    version: int
    recorded_at: datetime = Field(sa_type=UtcDateTime)
    recorded_by: UUID
    updated_at: datetime = Field(sa_type=UtcDateTime)
    reference_version: str = Field(max_length=32)
    # The possessor, when one is recorded (personal data: shown only to the agency).
    possessor_name: str | None = Field(default=None, max_length=200)
    possessor_born_on: date | None = None
    possessor_nationality: str | None = Field(default=None, max_length=2)
    possessor_document_number: str | None = Field(default=None, max_length=64)
    possessor_document_country: str | None = Field(default=None, max_length=2)


class RecoveryItemRow(SQLModel, table=True):
    """One row per item, whatever its kind; columns a kind does not have stay NULL."""

    __tablename__ = "recovery_items"
    __table_args__ = (
        sa.Index("ix_recovery_items_recovery", "recovery_id", "position"),
        sa.Index("ix_recovery_items_make_canonical", "make_canonical"),
        sa.Index("ix_recovery_items_calibre_canonical", "calibre_canonical"),
    )

    id: UUID = Field(primary_key=True)
    recovery_id: UUID = Field(foreign_key="recoveries.id")
    position: int
    kind: str = Field(max_length=16)
    make_raw: str | None = Field(default=None, max_length=64)
    make_canonical: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=64)
    calibre_raw: str | None = Field(default=None, max_length=64)
    calibre_canonical: str | None = Field(default=None, max_length=100)
    serial_state: str | None = Field(default=None, max_length=16)
    firearm_type: str | None = Field(default=None, max_length=32)
    country_of_manufacture: str | None = Field(default=None, max_length=2)
    import_marking_text: str | None = Field(default=None, max_length=64)
    import_marking_country: str | None = Field(default=None, max_length=2)
    import_marking_year: int | None = None
    other_markings: str | None = Field(default=None, max_length=1000)
    headstamp: str | None = Field(default=None, max_length=64)
    quantity: int | None = None
    component_category: str | None = Field(default=None, max_length=8)
    part_number: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=1000)


# Covered by the serial lookups' indexes on PostgreSQL, so a lookup reads no table page.
_FOUND = ["item_id", "role"]


class ItemIdentifierRow(SQLModel, table=True):
    """A serial or lot reading with its derived search keys. The raw text lives here and
    only here; agency and recovery are repeated so a search needs no join to filter.

    Equality and known starts are served by the B-tree on `normalized`, known ends by
    the B-tree on `reversed`; the trigram index is on `reversed` too, where no equality
    or range lookup can pick it by mistake (pg_trgm answers `=` as well, and with common
    trigrams that plan is a hundred times slower). It takes new rows at once rather than
    in a pending list (`fastupdate`), which every search would read until a vacuum
    merged it, and which made the planner prefer scanning the table after a load."""

    __tablename__ = "item_identifiers"
    __table_args__ = (
        sa.Index("ix_item_identifiers_normalized", "normalized", postgresql_include=_FOUND),
        sa.Index("ix_item_identifiers_skeleton", "skeleton"),
        sa.Index(
            "ix_item_identifiers_anchor",
            "anchor",
            sqlite_where=sa.text("anchor IS NOT NULL"),
            postgresql_where=sa.text("anchor IS NOT NULL"),
        ),
        sa.Index(
            "ix_item_identifiers_reversed", "reversed", postgresql_include=["normalized", *_FOUND]
        ),
        sa.Index(
            "ix_item_identifiers_reversed_trgm",
            "reversed",
            postgresql_using="gin",
            postgresql_ops={"reversed": "gin_trgm_ops"},
            postgresql_with={"fastupdate": "off"},
            info={"only_on": "postgresql"},
        ),
    )

    item_id: UUID = Field(foreign_key="recovery_items.id", primary_key=True)
    role: str = Field(max_length=8, primary_key=True)
    recovery_id: UUID
    agency_id: UUID
    raw: str = Field(max_length=64)
    normalized: str = Field(sa_type=key_text(256))
    skeleton: str = Field(sa_type=key_text(256))
    is_partial: bool
    anchor: str | None = Field(default=None, sa_type=key_text(8))
    reversed: str = Field(sa_type=key_text(256))


class IdentifierDeletionRow(SQLModel, table=True):
    """The one-deletion neighbourhood of a complete reading's spellings: one-edit matches
    (and patterns with one or two `?`) become index equality. The primary key leads with
    the variant so lookups are index-only."""

    __tablename__ = "identifier_deletions"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["item_id", "role"],
            ["item_identifiers.item_id", "item_identifiers.role"],
            ondelete="CASCADE",
        ),
    )

    variant: str = Field(sa_type=key_text(256), primary_key=True)
    item_id: UUID = Field(primary_key=True)
    role: str = Field(max_length=8, primary_key=True)


class IdentifierTransliterationRow(SQLModel, table=True):
    """The Latin spellings of a reading with Cyrillic or Greek letters that look like no
    Latin one (`БЖ9735`: `BZH9735`, `BJ9735`). Index-only lookups, as for deletions."""

    __tablename__ = "identifier_transliterations"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["item_id", "role"],
            ["item_identifiers.item_id", "item_identifiers.role"],
            ondelete="CASCADE",
        ),
    )

    transliterated: str = Field(sa_type=key_text(256), primary_key=True)
    item_id: UUID = Field(primary_key=True)
    role: str = Field(max_length=8, primary_key=True)


class RecoveryCorrectionRow(SQLModel, table=True):
    __tablename__ = "recovery_corrections"

    recovery_id: UUID = Field(foreign_key="recoveries.id", primary_key=True)
    version: int = Field(primary_key=True)
    corrected_at: datetime = Field(sa_type=UtcDateTime)
    corrected_by: UUID
    reason: str = Field(max_length=2000)
    changes: list[dict[str, Any]] = Field(sa_type=json_document())


agencies = AgencyRow.__table__  # type: ignore[attr-defined]
recoveries = RecoveryRow.__table__  # type: ignore[attr-defined]
recovery_items = RecoveryItemRow.__table__  # type: ignore[attr-defined]
item_identifiers = ItemIdentifierRow.__table__  # type: ignore[attr-defined]
identifier_deletions = IdentifierDeletionRow.__table__  # type: ignore[attr-defined]
identifier_transliterations = IdentifierTransliterationRow.__table__  # type: ignore[attr-defined]
recovery_corrections = RecoveryCorrectionRow.__table__  # type: ignore[attr-defined]


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    id: UUID = Field(primary_key=True)
    agency_id: UUID = Field(foreign_key="agencies.id", index=True)
    username: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    display_name: str = Field(max_length=200)
    roles: list[str] = Field(sa_type=json_document())
    password_hash: str = Field(max_length=200)
    disabled: bool
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)


users = UserRow.__table__  # type: ignore[attr-defined]


class AuditEventRow(SQLModel, table=True):
    """Append-only: database triggers refuse UPDATE, DELETE and TRUNCATE."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id", "seq"),
        sa.Index("ix_audit_events_actor", "actor_id", "seq"),
        sa.Index("ix_audit_events_agency", "actor_agency_id", "seq"),
        sa.Index("ix_audit_events_action", "action", "seq"),
    )

    seq: int = Field(
        sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    id: UUID = Field(sa_column_kwargs={"unique": True})
    occurred_at: datetime = Field(sa_type=UtcDateTime)
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    actor_id: UUID | None = None
    actor_kind: str | None = Field(default=None, max_length=16)
    actor_agency_id: UUID | None = None
    reason: str | None = Field(default=None, max_length=2000)
    request_id: str | None = Field(default=None, max_length=128)
    payload: str = Field(sa_type=sa.Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHeadRow(SQLModel, table=True):
    """The last event's position and hash; one row, moved forward by every append."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(sa_type=sa.BigInteger)
    hash: str = Field(max_length=64)


audit_events = AuditEventRow.__table__  # type: ignore[attr-defined]
audit_head = AuditHeadRow.__table__  # type: ignore[attr-defined]


class ServiceAccountRow(SQLModel, table=True):
    __tablename__ = "service_accounts"
    __table_args__ = (sa.UniqueConstraint("agency_id", "name"),)

    id: UUID = Field(primary_key=True)
    agency_id: UUID = Field(foreign_key="agencies.id")
    name: str = Field(max_length=200)
    scopes: list[str] = Field(sa_type=json_document())
    disabled: bool
    created_at: datetime = Field(sa_type=UtcDateTime)


class ApiKeyRow(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: UUID = Field(primary_key=True)
    service_account_id: UUID = Field(foreign_key="service_accounts.id", index=True)
    public_id: str = Field(max_length=32, sa_column_kwargs={"unique": True})
    secret_digest: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UtcDateTime)
    created_by: UUID | None = None
    last_used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class RefreshTokenRow(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    id: UUID = Field(primary_key=True)
    user_id: UUID = Field(foreign_key="users.id")
    family_id: UUID = Field(index=True)
    digest: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    issued_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class SignInFailureRow(SQLModel, table=True):
    """Failed sign-ins per key: `account:<username>` or `address:<ip>`."""

    __tablename__ = "sign_in_failures"

    key: str = Field(primary_key=True, max_length=300)
    failures: int
    window_started_at: datetime = Field(sa_type=UtcDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UtcDateTime)


service_accounts = ServiceAccountRow.__table__  # type: ignore[attr-defined]
api_keys = ApiKeyRow.__table__  # type: ignore[attr-defined]
refresh_tokens = RefreshTokenRow.__table__  # type: ignore[attr-defined]
sign_in_failures = SignInFailureRow.__table__  # type: ignore[attr-defined]


class TraceRequestRow(SQLModel, table=True):
    """A trace request. The item columns are the snapshot sent, never updated; `due_at`
    is derived (the deadline of the step owed next) so that lists can filter overdue."""

    __tablename__ = "trace_requests"
    __table_args__ = (
        sa.Index("ix_trace_requests_outbox", "requester_agency_id", "created_at", "id"),
        sa.Index(
            "ix_trace_requests_outbox_status", "requester_agency_id", "status", "created_at", "id"
        ),
        sa.Index(
            "ix_trace_requests_outbox_due",
            "requester_agency_id",
            "due_at",
            sqlite_where=sa.text("due_at IS NOT NULL"),
            postgresql_where=sa.text("due_at IS NOT NULL"),
        ),
        sa.Index("ix_trace_requests_inbox", "addressee_agency_id", "created_at", "id"),
        sa.Index(
            "ix_trace_requests_inbox_status", "addressee_agency_id", "status", "created_at", "id"
        ),
        sa.Index("ix_trace_requests_recovery", "recovery_id"),
        sa.Index(
            "ix_trace_requests_inbox_due",
            "addressee_agency_id",
            "due_at",
            sqlite_where=sa.text("due_at IS NOT NULL"),
            postgresql_where=sa.text("due_at IS NOT NULL"),
        ),
    )

    id: UUID = Field(primary_key=True)
    requester_agency_id: UUID = Field(foreign_key="agencies.id")
    addressee_agency_id: UUID = Field(foreign_key="agencies.id")
    # The requester's recovery and item: here, or on the peer the request came from.
    recovery_id: UUID
    item_id: UUID
    item_recovered_at: datetime = Field(sa_type=UtcDateTime)
    item_country: str = Field(max_length=2)
    item_circumstances: str = Field(max_length=32)
    item_description: dict[str, Any] = Field(sa_type=json_document())
    legal_justification: str = Field(max_length=4000)
    intended_use: str = Field(max_length=2000)
    priority: str = Field(max_length=16)
    status: str = Field(max_length=16)
    version: int
    created_at: datetime = Field(sa_type=UtcDateTime)
    created_by: UUID
    updated_at: datetime = Field(sa_type=UtcDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    first_response_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledge_by: datetime | None = Field(default=None, sa_type=UtcDateTime)
    respond_by: datetime | None = Field(default=None, sa_type=UtcDateTime)
    info_requested_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    outcome: str | None = Field(default=None, max_length=24)
    time_to_crime_days: int | None = None


class TraceTransitionRow(SQLModel, table=True):
    """Append-only: the history of a request, one row per version."""

    __tablename__ = "trace_transitions"

    request_id: UUID = Field(foreign_key="trace_requests.id", primary_key=True)
    version: int = Field(primary_key=True)
    action: str = Field(max_length=16)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    at: datetime = Field(sa_type=UtcDateTime)
    by_id: UUID
    by_agency_id: UUID
    reason: str | None = Field(default=None, max_length=4000)


class TraceResponseRow(SQLModel, table=True):
    """Append-only: every answer, first and supplementary; `version` is the request's
    version the answer made, so a read can take exactly one snapshot's answers."""

    __tablename__ = "trace_responses"
    __table_args__ = (sa.UniqueConstraint("request_id", "number"),)

    id: UUID = Field(primary_key=True)
    request_id: UUID = Field(foreign_key="trace_requests.id")
    number: int
    version: int
    outcome: str = Field(max_length=24)
    chain_of_custody: list[dict[str, Any]] = Field(sa_type=json_document())
    notes: str | None = Field(default=None, max_length=10_000)
    time_to_crime_days: int | None = None
    responded_at: datetime = Field(sa_type=UtcDateTime)
    responded_by: UUID
    responder_agency_id: UUID


class TraceMessageRow(SQLModel, table=True):
    """Append-only: the thread between the two sides."""

    __tablename__ = "trace_messages"
    __table_args__ = (sa.Index("ix_trace_messages_thread", "request_id", "posted_at", "id"),)

    id: UUID = Field(primary_key=True)
    request_id: UUID = Field(foreign_key="trace_requests.id")
    author_id: UUID
    author_agency_id: UUID
    side: str = Field(max_length=16)
    body: str = Field(max_length=10_000)
    attachments: list[dict[str, Any]] = Field(sa_type=json_document())
    posted_at: datetime = Field(sa_type=UtcDateTime)


trace_requests = TraceRequestRow.__table__  # type: ignore[attr-defined]
trace_transitions = TraceTransitionRow.__table__  # type: ignore[attr-defined]
trace_responses = TraceResponseRow.__table__  # type: ignore[attr-defined]
trace_messages = TraceMessageRow.__table__  # type: ignore[attr-defined]


class RegistryRecordRow(SQLModel, table=True):
    """A record of a registry kept in tracedesk's database (`tracedesk registry import`)."""

    __tablename__ = "registry_records"
    __table_args__ = (
        sa.Index("ix_registry_records_normalized", "registry_name", "normalized"),
        sa.Index(
            "ix_registry_records_normalized_trgm",
            "normalized",
            postgresql_using="gin",
            postgresql_ops={"normalized": "gin_trgm_ops"},
            info={"only_on": "postgresql"},
        ),
    )

    registry_name: str = Field(max_length=64, primary_key=True)
    reference: str = Field(max_length=100, primary_key=True)
    status: str = Field(max_length=16)
    serial: str = Field(max_length=64)
    normalized: str = Field(sa_type=key_text(256))
    make_raw: str | None = Field(default=None, max_length=64)
    make_canonical: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=64)
    calibre_raw: str | None = Field(default=None, max_length=64)
    calibre_canonical: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=2)
    recorded_on: date | None = None
    details: dict[str, Any] = Field(sa_type=json_document())
    fingerprint: str = Field(max_length=64)


class RegistryKeyRow(SQLModel, table=True):
    """The lookup keys of a registry record (see SerialQuery.lookup_keys)."""

    __tablename__ = "registry_keys"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["registry_name", "reference"],
            ["registry_records.registry_name", "registry_records.reference"],
            ondelete="CASCADE",
        ),
    )

    key: str = Field(sa_type=key_text(256), primary_key=True)
    registry_name: str = Field(max_length=64, primary_key=True)
    reference: str = Field(max_length=100, primary_key=True)


registry_records = RegistryRecordRow.__table__  # type: ignore[attr-defined]
registry_keys = RegistryKeyRow.__table__  # type: ignore[attr-defined]


class OutboxRow(SQLModel, table=True):
    """Work recorded with the change that calls for it; done or failed rows are kept."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index(
            "ix_outbox_due",
            "available_at",
            "id",
            sqlite_where=sa.text("done_at IS NULL AND failed_at IS NULL"),
            postgresql_where=sa.text("done_at IS NULL AND failed_at IS NULL"),
        ),
        # Done messages too: a trace request's delivery state reads all of its own.
        sa.Index(
            "ix_outbox_ordering",
            "ordering_key",
            "created_at",
            "id",
            sqlite_where=sa.text("ordering_key IS NOT NULL"),
            postgresql_where=sa.text("ordering_key IS NOT NULL"),
        ),
        sa.Index(
            "ix_outbox_subject",
            "subject",
            "created_at",
            sqlite_where=sa.text("subject IS NOT NULL"),
            postgresql_where=sa.text("subject IS NOT NULL"),
        ),
    )

    id: UUID = Field(primary_key=True)
    topic: str = Field(max_length=64)
    # Messages with the same key are handled one after the other, in the order written.
    ordering_key: str | None = Field(default=None, max_length=64)
    subject: str | None = Field(default=None, max_length=64)
    payload: dict[str, Any] = Field(sa_type=json_document())
    created_at: datetime = Field(sa_type=UtcDateTime)
    available_at: datetime = Field(sa_type=UtcDateTime)
    attempts: int
    last_error: str | None = Field(default=None, max_length=2000)
    leased_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ReceivedExchangeRow(SQLModel, table=True):
    """A message taken from a peer: remembered so a second delivery changes nothing."""

    __tablename__ = "received_exchanges"
    __table_args__ = (sa.Index("ix_received_exchanges_request", "request_id", "received_at"),)

    message_id: UUID = Field(primary_key=True)
    request_id: UUID = Field(foreign_key="trace_requests.id")
    action: str = Field(max_length=16)
    peer: str = Field(max_length=64)
    sender_agency_id: UUID = Field(foreign_key="agencies.id")
    received_at: datetime = Field(sa_type=UtcDateTime)
    status_after: str = Field(max_length=16)


class NetworkNodeRow(SQLModel, table=True):
    """A node of the case networks: what it stands for (kind and key), whose it is, and
    the network it belongs to now."""

    __tablename__ = "network_nodes"
    __table_args__ = (
        sa.UniqueConstraint("kind", "key", name="uq_network_nodes_ref"),
        sa.Index("ix_network_nodes_network", "network_id", "agency_id"),
        sa.Index("ix_network_nodes_agency", "agency_id", "network_id"),
    )

    id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=24)
    key: str = Field(max_length=400)
    agency_id: UUID | None = Field(default=None, foreign_key="agencies.id")
    label: str = Field(max_length=400)
    network_id: UUID
    created_at: datetime = Field(sa_type=UtcDateTime)
    occurred_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    country: str | None = Field(default=None, max_length=2)


WALKED = ["source_id", "target_id", "status", "kind", "confidence", "id"]


class NetworkLinkRow(SQLModel, table=True):
    """A link, with its ends in key order (links are undirected), its provenance and the
    decision a person made on it; links are never deleted."""

    __tablename__ = "network_links"
    __table_args__ = (
        sa.UniqueConstraint("kind", "source_id", "target_id", name="uq_network_links_ends"),
        # Covering on PostgreSQL: a walk reads links from the index alone.
        sa.Index("ix_network_links_source", "source_id", postgresql_include=WALKED),
        sa.Index("ix_network_links_target", "target_id", postgresql_include=WALKED),
    )

    id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=24)
    source_id: UUID = Field(foreign_key="network_nodes.id")
    target_id: UUID = Field(foreign_key="network_nodes.id")
    confidence: float
    status: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UtcDateTime)
    rule: str | None = Field(default=None, max_length=32)
    rule_version: int | None = None
    created_by: UUID | None = None
    evidence: dict[str, Any] = Field(sa_type=json_document())
    decided_by: UUID | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decision_reason: str | None = Field(default=None, max_length=4000)


class NetworkRow(SQLModel, table=True):
    """A network's size, kept as links merge and split it (never counted per request)."""

    __tablename__ = "networks"
    __table_args__ = (sa.Index("ix_networks_size", "size"),)

    id: UUID = Field(primary_key=True)
    size: int
    created_at: datetime = Field(sa_type=UtcDateTime)
    grown_at: datetime = Field(sa_type=UtcDateTime)
    # Agency id (or "shared") -> nodes; countries; time span of its recoveries.
    nodes_by_agency: dict[str, int] = Field(
        sa_type=json_document(), sa_column_kwargs={"server_default": "{}"}
    )
    countries: list[str] = Field(sa_type=json_document(), sa_column_kwargs={"server_default": "[]"})
    first_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class NetworkRulesRow(SQLModel, table=True):
    """One row: the linking rules and versions every recovery was last linked by."""

    __tablename__ = "network_rules"

    id: int = Field(primary_key=True)
    rules: str | None = Field(default=None, max_length=1000)
    changed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class RegistryHitRow(SQLModel, table=True):
    __tablename__ = "registry_hits"
    __table_args__ = (
        sa.Index("ix_registry_hits_recovery", "recovery_id", "found_at"),
        sa.Index("ix_registry_hits_agency", "agency_id", "found_at"),
    )

    id: UUID = Field(primary_key=True)
    recovery_id: UUID = Field(foreign_key="recoveries.id")
    item_id: UUID
    agency_id: UUID
    registry_name: str = Field(max_length=64)
    reference: str = Field(max_length=100)
    status: str = Field(max_length=16)
    match_kind: str = Field(max_length=16)
    confidence: float
    record: dict[str, Any] = Field(sa_type=json_document())
    found_at: datetime = Field(sa_type=UtcDateTime)
    recovery_version: int
    cleared_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


outbox = OutboxRow.__table__  # type: ignore[attr-defined]
registry_hits = RegistryHitRow.__table__  # type: ignore[attr-defined]
received_exchanges = ReceivedExchangeRow.__table__  # type: ignore[attr-defined]
network_nodes = NetworkNodeRow.__table__  # type: ignore[attr-defined]
network_links = NetworkLinkRow.__table__  # type: ignore[attr-defined]
network_rules = NetworkRulesRow.__table__  # type: ignore[attr-defined]
networks = NetworkRow.__table__  # type: ignore[attr-defined]
