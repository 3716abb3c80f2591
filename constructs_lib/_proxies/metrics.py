"""What a proxy tells a monitor about its metrics: where Prometheus reads them, and the
names of the series the alerts read."""

from __future__ import annotations

from hub_runtime.frozen import frozen

__all__ = ["ProxyMetrics"]


@frozen(kw_only=True)
class ProxyMetrics:
    """A proxy's Prometheus endpoint and series (a proxy's ``metrics`` property; a proxy
    without one has none to watch).

    Fields:
        port: the container port serving the metrics.
        port_name: that port's name in the pod.
        path: the HTTP path of the metrics.
        requests: the counter of proxied requests.
        status_label: its label holding the response's status code.
        memory: the gauge of the process' resident memory, in bytes.
        memory_limit_bytes: the proxy container's memory limit.
    """

    port: int
    port_name: str
    path: str
    requests: str
    status_label: str
    memory: str
    memory_limit_bytes: int
