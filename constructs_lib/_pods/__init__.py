"""Pods: containers, probes, resources, scheduling, profiles and what every user pod
gets.

Private: import from ``constructs_lib``."""
