"""Who may read ``/hub/metrics``: a hub service holding only ``read:metrics``.

JupyterHub checks ``read:metrics`` on ``/hub/metrics`` while ``authenticate_prometheus`` is
on (its default). The constructs give Prometheus a token in a Secret; the hub reads the same
Secret through ``metrics_token_env`` and registers it as the service ``prometheus``.
"""

from __future__ import annotations

import os
from typing import Any

from hub_runtime.settings import HubSettings, SettingsError

__all__ = ["METRICS_SERVICE", "metrics_reader"]

METRICS_SERVICE = "prometheus"


def metrics_reader(settings: HubSettings) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The service and its role that may read the metrics (none without a token variable).
    An unset or empty variable stops the hub: a service with an empty token would let no
    one in, and the alert for a hub that cannot be scraped would fire with no reason shown."""
    env = settings.metrics_token_env
    if env is None:
        return [], []
    token = os.environ.get(env, "")
    if not token:
        raise SettingsError(
            f"metrics_token_env: the variable {env} is unset or empty: it must hold the "
            "token Prometheus reads /hub/metrics with (the MetricsToken's Secret)"
        )
    service = {"name": METRICS_SERVICE, "api_token": token}
    role = {"name": "metrics-reader", "scopes": ["read:metrics"], "services": [METRICS_SERVICE]}
    return [service], [role]
