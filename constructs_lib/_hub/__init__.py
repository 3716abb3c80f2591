"""The hub: its StatefulSet and files, the whole JupyterHub, its namespace, quota and
network policies.

Private: import from ``constructs_lib``."""
