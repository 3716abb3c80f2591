"""Proxies: the interface every proxy answers (its flows, ingress target and the
limits it puts on the hub), configurable-http-proxy, Traefik, the hub writing VirtualServices
(IstioProxy) and where routes are kept.

Private: import from ``constructs_lib``."""
