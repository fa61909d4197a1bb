"""The web console for investigators, tracing officers, supervisors and administrators:
server-rendered pages over the same use cases as the API (see docs/console.md)."""
