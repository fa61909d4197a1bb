"""OpenTelemetry traces, when an operator asks for them (`TRACEDESK_OPENTELEMETRY`).

FastAPI makes a span for every request through the OpenTelemetry API, but the API alone
records nothing: spans go to the SDK's provider, set up here, and leave through an OTLP
exporter configured by the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT and
friends). The SDK is an optional extra (`pip install 'tracedesk[telemetry]'`); asking
for traces without it stops the server with one line rather than tracing nothing.
Calls to peers carry the trace context (W3C `traceparent`), so that one trace follows a
request from one instance to the other.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from opentelemetry import propagate, trace

_configured = False


class TelemetryUnavailable(RuntimeError):
    pass


def configure_tracing(*, service_name: str = "tracedesk", exporter: Any = None) -> None:
    """Set the process's tracer provider, once; spans leave in batches through
    `exporter` (the OTLP/HTTP exporter unless a test gives its own)."""
    global _configured
    if _configured:
        return
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError:
        raise TelemetryUnavailable(
            "TRACEDESK_OPENTELEMETRY needs the OpenTelemetry SDK: "
            "pip install 'tracedesk[telemetry]'"
        ) from None
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _configured = True


def with_trace_context(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """`headers` with the current trace context added (nothing when no span records)."""
    propagate.inject(headers)
    return headers
