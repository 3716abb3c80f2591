"""Core pieces every layer uses: errors, names, checks, props validation, object
specs, quantities, the proxy token and header trust.

Private: import from ``constructs_lib``."""
