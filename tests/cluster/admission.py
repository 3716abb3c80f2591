"""What a real API server refuses, worded as it words it (kube-apiserver 1.3x):

- RBAC: a request no Role/ClusterRole bound to the caller allows is 403 (authorizer's
  ``forbiddenMessage``);
- the ServiceAccount, Priority and RuntimeClass admission plugins refuse a pod naming a
  ServiceAccount, PriorityClass or RuntimeClass that does not exist (403);
- ResourceQuota refuses a pod that leaves out a tracked cpu/memory request or limit, or that
  would take the namespace's usage over ``hard`` (403 "exceeded quota").

A pod naming a missing Secret or ConfigMap is *not* refused by the API server: the kubelet
holds it (see ``kubelet.py``). Pod Security admission is not modelled (the apps' namespaces
are ``privileged``), nor are LimitRanges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from kmock import KubernetesError

from hub_runtime.quantity import parse_quantity
from tests.cluster.kinds import Kind, kind_of

__all__ = ["Attributes", "Store", "User", "admit_pod", "authorize", "forbidden", "pod_usage"]

SERVICE_ACCOUNT = kind_of("ServiceAccount")
PRIORITY_CLASS = kind_of("PriorityClass")
RUNTIME_CLASS = kind_of("RuntimeClass")
RESOURCE_QUOTA = kind_of("ResourceQuota")
POD = kind_of("Pod")
ROLE, ROLE_BINDING = kind_of("Role"), kind_of("RoleBinding")
CLUSTER_ROLE, CLUSTER_ROLE_BINDING = kind_of("ClusterRole"), kind_of("ClusterRoleBinding")

# Priority classes every cluster has (pkg/apis/scheduling: SystemPriorityClasses).
_SYSTEM_PRIORITY_CLASSES = {
    "system-cluster-critical": 2000000000,
    "system-node-critical": 2000001000,
}
# Non-resource paths every authenticated user may GET (ClusterRole system:discovery).
_DISCOVERY = ("/api", "/apis", "/version", "/healthz", "/livez", "/readyz", "/openapi")
# Quota on cpu or memory makes every container state that request or limit
# (pkg/quota/v1/evaluator/core/pods.go, "BACKWARD COMPATIBILITY REQUIREMENT").
_MUST_SPECIFY = {
    "cpu": "requests.cpu",
    "memory": "requests.memory",
    "requests.cpu": "requests.cpu",
    "requests.memory": "requests.memory",
    "limits.cpu": "limits.cpu",
    "limits.memory": "limits.memory",
}


class Store(Protocol):
    """The API server's view of the stored objects."""

    def lookup(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The object, or None if there is none."""

    def listing(self, kind: Kind, namespace: str | None) -> list[dict[str, Any]]:
        """Every object of the kind (in the namespace, or in all if None)."""


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = ()

    @classmethod
    def service_account(cls, namespace: str, name: str) -> User:
        return cls(
            f"system:serviceaccount:{namespace}:{name}",
            (
                "system:serviceaccounts",
                f"system:serviceaccounts:{namespace}",
                "system:authenticated",
            ),
        )


@dataclass(frozen=True)
class Attributes:
    """One request as the authorizer sees it (``group`` is None for a non-resource path)."""

    user: User
    verb: str
    path: str
    group: str | None = None
    resource: str = ""
    subresource: str | None = None
    namespace: str | None = None
    name: str | None = None

    @property
    def full_resource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


def forbidden(group: str, resource: str, name: str | None, cause: str) -> KubernetesError:
    """The API's 403 (apimachinery ``NewForbidden``)."""
    qualified = f"{resource}.{group}" if group else resource
    subject = f'{qualified} "{name}"' if name else qualified
    return KubernetesError(
        status=403,
        reason="Forbidden",
        message=f"{subject} is forbidden: {cause}",
        details={"name": name or "", "group": group, "kind": resource},
    )


def authorize(request: Attributes, store: Store) -> None:
    """RBAC: allow what a rule bound to the user allows; raise the API's 403 otherwise."""
    if "system:masters" in request.user.groups:
        return
    if request.group is None:
        if request.verb == "get" and request.path.rstrip("/").startswith(_DISCOVERY):
            return
        raise KubernetesError(
            status=403,
            reason="Forbidden",
            details={"kind": ""},
            message=f'forbidden: User "{request.user.name}" cannot '
            f'{request.verb} path "{request.path}"',
        )
    if any(_allows(rule, request) for rule in _rules(request, store)):
        return
    scope = (
        f'in the namespace "{request.namespace}"' if request.namespace else "at the cluster scope"
    )
    raise forbidden(
        request.group,
        request.resource,
        request.name,
        f'User "{request.user.name}" cannot {request.verb} resource '
        f'"{request.full_resource}" in API group "{request.group}" {scope}',
    )


def _rules(request: Attributes, store: Store) -> Iterable[Mapping[str, Any]]:
    bindings = [
        (b, b["metadata"].get("namespace")) for b in store.listing(CLUSTER_ROLE_BINDING, None)
    ]
    if request.namespace:
        bindings += [(b, request.namespace) for b in store.listing(ROLE_BINDING, request.namespace)]
    for binding, namespace in bindings:
        if not any(_is_subject(s, request.user, namespace) for s in binding.get("subjects", [])):
            continue
        ref = binding["roleRef"]
        role = (
            store.lookup(ROLE, namespace, ref["name"])
            if ref["kind"] == "Role"
            else store.lookup(CLUSTER_ROLE, None, ref["name"])
        )
        yield from (role or {}).get("rules", [])


def _is_subject(subject: Mapping[str, Any], user: User, namespace: str | None) -> bool:
    if subject["kind"] == "ServiceAccount":
        owner = subject.get("namespace") or namespace
        return user.name == f"system:serviceaccount:{owner}:{subject['name']}"
    if subject["kind"] == "Group":
        return subject["name"] in user.groups
    return bool(subject["name"] == user.name)


def _allows(rule: Mapping[str, Any], request: Attributes) -> bool:
    def has(values: Iterable[str], value: str) -> bool:
        return "*" in values or value in values

    if not (
        has(rule.get("verbs", []), request.verb)
        and has(rule.get("apiGroups", []), request.group or "")
        and has(rule.get("resources", []), request.full_resource)
    ):
        return False
    names = rule.get("resourceNames")
    return not names or request.name in names


def admit_pod(pod: dict[str, Any], namespace: str, store: Store) -> None:
    """Admission of a new pod, in kube-apiserver's plugin order: ServiceAccount, Priority,
    RuntimeClass, ResourceQuota. Mutates the pod as those plugins do (service account and
    priority filled in)."""
    spec = pod.setdefault("spec", {})
    name = pod["metadata"]["name"]
    account = spec.setdefault("serviceAccountName", "default")
    if store.lookup(SERVICE_ACCOUNT, namespace, account) is None:
        raise forbidden(
            "",
            "pods",
            name,
            f"error looking up service account "
            f'{namespace}/{account}: serviceaccount "{account}" '
            "not found",
        )
    priority_class = spec.get("priorityClassName")
    if priority_class:
        if priority_class in _SYSTEM_PRIORITY_CLASSES:
            spec["priority"] = _SYSTEM_PRIORITY_CLASSES[priority_class]
        else:
            found = store.lookup(PRIORITY_CLASS, None, priority_class)
            if found is None:
                raise forbidden(
                    "", "pods", name, f"no PriorityClass with name {priority_class} was found"
                )
            spec["priority"] = found.get("value", 0)
            # The class's preemption policy, PreemptLowerPriority unless it says
            # (plugin/pkg/admission/priority/admission.go, admitPod).
            spec["preemptionPolicy"] = found.get("preemptionPolicy", "PreemptLowerPriority")
    runtime_class = spec.get("runtimeClassName")
    if runtime_class and store.lookup(RUNTIME_CLASS, None, runtime_class) is None:
        raise forbidden("", "pods", name, f'pod rejected: RuntimeClass "{runtime_class}" not found')
    for quota in store.listing(RESOURCE_QUOTA, namespace):
        _admit_quota(pod, quota, namespace, store)


def _admit_quota(pod: dict[str, Any], quota: dict[str, Any], namespace: str, store: Store) -> None:
    name, quota_name = pod["metadata"]["name"], quota["metadata"]["name"]
    hard = {key: _quantity(value) for key, value in quota["spec"].get("hard", {}).items()}
    missing: dict[str, list[str]] = {}
    spec = pod["spec"]
    for resource in sorted({_MUST_SPECIFY[key] for key in hard if key in _MUST_SPECIFY}):
        group, _, what = resource.partition(".")
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            if what not in container.get("resources", {}).get(group, {}):
                missing.setdefault(resource, []).append(container["name"])
    if missing:
        needs = "; ".join(
            f"{resource} for: {','.join(names)}" for resource, names in sorted(missing.items())
        )
        raise forbidden("", "pods", name, f"failed quota: {quota_name}: must specify {needs}")
    requested = {key: value for key, value in pod_usage(pod).items() if key in hard}
    used: dict[str, Decimal] = {}
    for other in store.listing(POD, namespace):
        if other.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            continue  # terminal pods no longer count against the quota
        for key, value in pod_usage(other).items():
            used[key] = used.get(key, Decimal(0)) + value
    exceeded = sorted(
        key for key, value in requested.items() if used.get(key, Decimal(0)) + value > hard[key]
    )
    if exceeded:

        def show(values: Mapping[str, Decimal]) -> str:
            return ",".join(f"{key}={_format(values.get(key, Decimal(0)))}" for key in exceeded)

        raise forbidden(
            "",
            "pods",
            name,
            f"exceeded quota: {quota_name}, "
            f"requested: {show(requested)}, used: {show(used)}, "
            f"limited: {show(hard)}",
        )


def pod_usage(pod: Mapping[str, Any]) -> dict[str, Decimal]:
    """What a pod counts against a quota: per resource, the larger of its containers' sum and
    its largest init container (pods run init containers one at a time), plus one pod."""
    spec = pod.get("spec", {})
    usage: dict[str, Decimal] = {"pods": Decimal(1), "count/pods": Decimal(1)}
    for group in ("requests", "limits"):
        total: dict[str, Decimal] = {}
        for container in spec.get("containers", []):
            for resource, value in _resources(container, group).items():
                total[resource] = total.get(resource, Decimal(0)) + value
        for container in spec.get("initContainers", []):
            for resource, value in _resources(container, group).items():
                total[resource] = max(total.get(resource, Decimal(0)), value)
        for resource, value in total.items():
            usage[f"{group}.{resource}"] = value
            if group == "requests" and resource in ("cpu", "memory", "ephemeral-storage"):
                usage[resource] = value  # the bare name is the request
    return usage


def _resources(container: Mapping[str, Any], group: str) -> dict[str, Decimal]:
    resources = container.get("resources", {})
    values = dict(resources.get(group, {}))
    if group == "requests":  # an unstated request defaults to the limit
        values = {**resources.get("limits", {}), **values}
    return {key: _quantity(value) for key, value in values.items()}


def _quantity(value: Any) -> Decimal:
    try:
        return parse_quantity(str(value))
    except ValueError:
        raise KubernetesError(
            status=422,
            reason="Invalid",
            details={"kind": "pods"},
            message=f"quantities must match the regular expression: {value!r}",
        ) from None


def _format(value: Decimal) -> str:
    """A quantity in a canonical form: binary suffixes where exact, else millis or plain."""
    if value == value.to_integral_value():
        number = int(value)
        for suffix, power in (
            ("Ei", 60),
            ("Pi", 50),
            ("Ti", 40),
            ("Gi", 30),
            ("Mi", 20),
            ("Ki", 10),
        ):
            if number and number % 2**power == 0:
                return f"{number // 2**power}{suffix}"
        return str(number)
    return f"{int(value * 1000)}m"
