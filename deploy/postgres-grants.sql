-- What the server role may do, table by table. Run as tracedesk_owner after every
-- `tracedesk db upgrade` (it is idempotent):  psql -U tracedesk_owner -d tracedesk -f deploy/postgres-grants.sql
--
-- Evidence (recoveries, items, corrections, accounts) is inserted and updated, never
-- deleted. Only derived search keys are deleted, when a correction replaces a reading.

GRANT SELECT, INSERT ON agencies TO tracedesk_app;
GRANT SELECT, INSERT, UPDATE ON recoveries, recovery_items, users TO tracedesk_app;
GRANT SELECT, INSERT ON recovery_corrections TO tracedesk_app;
-- Photos of markings are evidence: attached, never changed or removed.
GRANT SELECT, INSERT ON item_photos TO tracedesk_app;
GRANT SELECT, INSERT, DELETE ON item_identifiers, identifier_deletions, identifier_transliterations,
  identifier_anchors TO tracedesk_app;
GRANT SELECT ON alembic_version TO tracedesk_app;
-- The audit trail: appended to, never changed. The head moves forward with each append
-- (a trigger refuses anything else); UPDATE and DELETE on events are neither granted nor,
-- for the owner, allowed by the triggers.
GRANT SELECT, INSERT ON audit_events TO tracedesk_app;
GRANT SELECT, UPDATE ON audit_head TO tracedesk_app;
-- Credentials: created, used and revoked, never deleted (revocations are kept).
GRANT SELECT, INSERT, UPDATE ON service_accounts, api_keys, refresh_tokens TO tracedesk_app;
-- Console sessions: started, touched and ended, never deleted.
GRANT SELECT, INSERT, UPDATE ON console_sessions TO tracedesk_app;
-- Failed sign-in counters are not evidence (the audit trail records each failure):
-- they are cleared after a successful sign-in.
GRANT SELECT, INSERT, UPDATE, DELETE ON sign_in_failures TO tracedesk_app;
-- Trace requests move through their workflow (updated); their history, answers and
-- threads are appended to, never changed (triggers refuse it even to the owner).
GRANT SELECT, INSERT, UPDATE ON trace_requests TO tracedesk_app;
GRANT SELECT, INSERT ON trace_transitions, trace_responses, trace_messages TO tracedesk_app;
-- Registries imported into this database: records are added and replaced by imports;
-- their lookup keys are derived and replaced with them.
GRANT SELECT, INSERT, UPDATE ON registry_records TO tracedesk_app;
GRANT SELECT, INSERT, DELETE ON registry_keys TO tracedesk_app;
-- The outbox: written with each change, leased and marked done or failed by workers;
-- rows are kept. Registry hits are added, and updated when a later check clears them.
GRANT SELECT, INSERT, UPDATE ON outbox, registry_hits TO tracedesk_app;
-- Messages taken from peers: remembered, so a second delivery changes nothing; kept.
GRANT SELECT, INSERT ON received_exchanges TO tracedesk_app;
-- Case networks: nodes and links are added and updated (membership moves, decisions are
-- recorded), never deleted; network sizes are kept current.
GRANT SELECT, INSERT, UPDATE ON network_nodes, network_links, networks TO tracedesk_app;
-- The linking rules in force: one row, put there by the migration and updated when a
-- release's rules change.
GRANT SELECT, UPDATE ON network_rules TO tracedesk_app;
-- Imports: jobs move through their states; their reports of rejected rows are written
-- afresh when a job starts again (a report is not evidence: the rows are in the file);
-- the keys of imported rows are added with the recoveries they made, never changed.
GRANT SELECT, INSERT, UPDATE ON import_jobs TO tracedesk_app;
GRANT SELECT, INSERT, DELETE ON import_rejects TO tracedesk_app;
GRANT SELECT, INSERT ON imported_keys TO tracedesk_app;
