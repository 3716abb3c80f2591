"""The namespace a JupyterHub lives in, with a Pod Security level its user pods can meet."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from constructs import Construct

from constructs_lib._errors import invalid
from constructs_lib._names import APP_LABEL, check_dns_label
from constructs_lib._objects import api_object
from constructs_lib._quantity import check_quantity
from constructs_lib.profile import NotebookProfile

__all__ = ["HubNamespace", "HubResourceQuota", "PodSecurityLevel"]


class PodSecurityLevel(StrEnum):
    PRIVILEGED = "privileged"
    BASELINE = "baseline"
    RESTRICTED = "restricted"


class HubNamespace(Construct):
    """A Namespace labelled ``name: <name>`` whose Pod Security level is derived from profiles:
    ``privileged`` only when some profile mounts a host path or chowns as root, or when
    ``istio_init`` says injected pods get Istio's init container (NET_ADMIN and NET_RAW; not
    needed with Istio's CNI plugin); otherwise ``restricted``, which the hub, the proxy and the
    hardened user pods meet."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        profiles: Sequence[NotebookProfile],
        name: str = "jupyterhub",
        release: str = "jupyterhub",
        istio_init: bool = False,
    ) -> None:
        super().__init__(scope, id)
        check_dns_label(self, "name", name)
        self.name = name
        self.pod_security = (
            PodSecurityLevel.PRIVILEGED
            if istio_init or any(profile.needs_privileged_pods for profile in profiles)
            else PodSecurityLevel.RESTRICTED
        )
        self.namespace = api_object(
            self, "Resource", api_version="v1", kind="Namespace", name=name,
            labels={
                APP_LABEL: release,
                "name": name,
                "pod-security.kubernetes.io/enforce": self.pod_security.value,
            },
        )


class HubResourceQuota(Construct):
    """What all pods of the namespace may request and use together; no LoadBalancer Services
    (traffic enters through the ingress gateway)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        release: str = "jupyterhub",
        cpu: str = "32",
        memory: str = "64Gi",
        gpus: int = 1,
        load_balancers: int = 0,
    ) -> None:
        super().__init__(scope, id)
        check_quantity(self, "cpu", cpu)
        check_quantity(self, "memory", memory)
        for field, value in (("gpus", gpus), ("load_balancers", load_balancers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise invalid(self, field, value, "must be a whole number, 0 or more")
        self.quota = api_object(
            self, "Resource", api_version="v1", kind="ResourceQuota", name=release,
            labels={APP_LABEL: release},
            spec={"hard": {
                "requests.cpu": cpu, "limits.cpu": cpu,
                "requests.memory": memory, "limits.memory": memory,
                "requests.nvidia.com/gpu": str(gpus),
                "services.loadbalancers": str(load_balancers),
            }},
        )
