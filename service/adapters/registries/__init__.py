"""Adapters of the FirearmRegistry port: in memory, in tracedesk's database, over HTTP."""
