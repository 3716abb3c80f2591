"""Delivery: an Argo CD Application for an app's synthesized directory, and the sync waves
that order its objects.

Private: import from ``constructs_lib``."""
