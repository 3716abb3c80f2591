"""Ingresses: ingress-nginx with oauth2-proxy, and Gateway API.

Private: import from ``constructs_lib``."""
