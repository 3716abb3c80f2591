"""stakater Reloader (v1.x), which rolls a workload when a Secret it names changes: the one
controller the apps need to rotate the proxy token without a crash loop."""

from __future__ import annotations

__all__ = ["RELOADER_KIND", "RELOADER_NAME", "RELOADER_REASON", "RELOAD_SECRET_ANNOTATION"]

# Reloader's annotation on a Deployment's or StatefulSet's own metadata: a comma-separated list
# of Secret names; a change to one patches the pod template, a rolling update (its README,
# "Secret" under "How to use Reloader").
RELOAD_SECRET_ANNOTATION = "secret.reloader.stakater.com/reload"
# What the annotation needs in the cluster: Reloader's Deployment as its Helm chart
# (stakater/reloader, release "reloader") names it.
RELOADER_KIND, RELOADER_NAME = "Deployment", "reloader-reloader"
RELOADER_REASON = (
    "stakater Reloader (Helm chart stakater/reloader, release reloader, watching this "
    f"namespace): the hub and the proxy carry {RELOAD_SECRET_ANNOTATION} naming the proxy "
    "token's Secret, and Reloader rolls both when a rotation changes it"
)
