"""Servers forget a person's remembered standing when a sign-in of theirs ends.

Access tokens now name the sign-in they were issued from, and a token of a sign-in that
ended (signed out, its refresh tokens revoked as stolen or by a password change) is
refused. Servers remember who a token speaks for and forget it when the database
announces a change; a refresh token revoked is such a change now, announced with the
person it belongs to. Only the revocation is announced, not each refresh (`used_at`).
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite deployments look every token up: nothing is remembered
    op.execute(
        """
        CREATE FUNCTION tracedesk_refresh_token_revoked() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('tracedesk_actor_changed', NEW.user_id::text);
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER refresh_tokens_announce_revocation AFTER UPDATE OF revoked_at "
        "ON refresh_tokens FOR EACH ROW "
        "WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) "
        "EXECUTE FUNCTION tracedesk_refresh_token_revoked()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS refresh_tokens_announce_revocation ON refresh_tokens")
    op.execute("DROP FUNCTION IF EXISTS tracedesk_refresh_token_revoked()")
