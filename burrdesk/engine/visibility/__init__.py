"""Tracing inside actions, at the path of Burr's `burr.visibility`."""

from burrdesk.engine.visibility.tracing import ActionSpan, ActionSpanTracer, TracerFactory, trace

__all__ = ["ActionSpan", "ActionSpanTracer", "TracerFactory", "trace"]
