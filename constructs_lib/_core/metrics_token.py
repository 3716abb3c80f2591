"""The token Prometheus reads the hub's ``/hub/metrics`` with.

JupyterHub 5 answers ``/hub/metrics`` only to a token with the ``read:metrics`` scope
(``JupyterHub.authenticate_prometheus``, on by default). The hub is behind the proxy, whose
public port forwards every ``/hub/`` path to it, so turning that check off would show the
metrics (user counts, spawn timings, request paths) to anyone on the internet. With a
``MetricsToken`` the hub keeps the check and registers a service ``prometheus`` holding just
``read:metrics``, its token read from a Secret that Prometheus reads too (the
ServiceMonitor's bearer ``authorization``).
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from constructs_lib._core._checks import check_instance
from constructs_lib._core._names import check_dns_subdomain, check_secret_key
from constructs_lib._core._reloader import RELOAD_SECRET_ANNOTATION
from hub_runtime.frozen import frozen
from hub_runtime.metrics_access import METRICS_SERVICE

__all__ = ["METRICS_SERVICE", "METRICS_TOKEN_ENV", "MetricsToken", "with_metrics_token"]

# The hub container's variable holding the token (from the Secret).
METRICS_TOKEN_ENV = "JUPYTERHUB_METRICS_TOKEN"


@frozen(kw_only=True)
class MetricsToken:
    """A Secret you create (with any long random value) holding the metrics token.

    Fields:
        secret_name: the Secret's name, in the hub's namespace (Prometheus Operator reads a
            ServiceMonitor's credentials from the ServiceMonitor's namespace).
        key: the key of the token in the Secret; default ``token``.
    """

    secret_name: str
    key: str = "token"

    def check(self, scope: Construct, field: str) -> None:
        check_instance(scope, field, self, MetricsToken)
        check_dns_subdomain(scope, f"{field}.secret_name", self.secret_name)
        check_secret_key(scope, f"{field}.key", self.key)

    def env(self) -> dict[str, Any]:
        """The hub container's variable, from the Secret."""
        return {
            "name": METRICS_TOKEN_ENV,
            "valueFrom": {"secretKeyRef": {"name": self.secret_name, "key": self.key}},
        }

    def bearer(self) -> dict[str, Any]:
        """A ServiceMonitor endpoint's ``authorization``: the token as a bearer credential."""
        return {"type": "Bearer", "credentials": {"name": self.secret_name, "key": self.key}}


def with_metrics_token(annotations: dict[str, str], token: MetricsToken | None) -> dict[str, str]:
    """``annotations`` (a workload's Reloader annotation among them) with the token's Secret
    added to those Reloader watches: the hub reads the token at start only, so a rotated
    token would be refused to Prometheus until the hub restarts."""
    if token is None:
        return annotations
    watched = [s for s in annotations.get(RELOAD_SECRET_ANNOTATION, "").split(",") if s]
    if token.secret_name not in watched:
        watched.append(token.secret_name)
    return {**annotations, RELOAD_SECRET_ANNOTATION: ",".join(watched)}
