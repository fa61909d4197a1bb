-- PostgreSQL roles for tracedesk: one that owns the schema and migrates it, one that
-- the server uses and that cannot change the schema. Run as a superuser:
--   psql -v app_password="'...'" -v owner_password="'...'" -f deploy/postgres-setup.sql

CREATE ROLE tracedesk_owner LOGIN PASSWORD :owner_password;
CREATE ROLE tracedesk_app LOGIN PASSWORD :app_password;
CREATE DATABASE tracedesk OWNER tracedesk_owner;

\connect tracedesk

-- pg_trgm is a trusted extension: the owner could create it, but migrations run as the
-- owner, so create it here once to keep the owner free of extension privileges.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO tracedesk_app;
GRANT CREATE ON SCHEMA public TO tracedesk_owner;
-- Table privileges are granted per table, after each migration: postgres-grants.sql.
