"""The Istio mesh: Gateway, routes, authorization and telemetry.

Private: import from ``constructs_lib``."""
