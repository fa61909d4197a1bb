"""Storage of tracedesk's state in SQLite (embedded default) or PostgreSQL (production)."""
