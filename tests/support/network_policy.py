"""NetworkPolicies evaluated by the semantics the Kubernetes 1.33 API documents (the project's
default ``KubernetesVersion``). The API server only stores the objects; the CNI plugin
enforces them, bound to these documented semantics, so each rule cites the field
documentation of ``networking/v1/types.go`` in ``kubernetes/api`` at tag ``v0.33.13`` (the
API reference, https://v1-33.docs.kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/,
is generated from it), and label selectors follow ``k8s.io/apimachinery`` v0.33.13
``pkg/apis/meta/v1/helpers.go`` ``LabelSelectorAsSelector``.

What it leaves out: traffic from the pod's own node, which ``NetworkPolicySpec.ingress`` always
allows (kubelet probes), and whether an ``ipBlock`` matches pod addresses (the concept page,
"Behavior of to and from selectors", leaves it to the implementation): here a pod source of
ingress has no address, and a destination pod is matched by its ``address``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The namespace the tests deploy into and its labels: the Namespace object's own, and
# ``kubernetes.io/metadata.name``, which the API server sets on every namespace to its name
# (https://v1-33.docs.kubernetes.io/docs/reference/labels-annotations-taints/,
# "kubernetes.io/metadata.name").
NAMESPACE = "jupyterhub"
NAME_LABEL = "kubernetes.io/metadata.name"
NAMESPACE_LABELS = {"name": NAMESPACE, NAME_LABEL: NAMESPACE}


@dataclass(frozen=True)
class Destination:
    """Where an egress connection goes: a pod (its namespace's labels and its own) or, with
    ``pod_labels`` None, an address outside the cluster's pods, matched by ``ipBlock`` only."""

    address: str
    namespace_labels: dict[str, str] = field(default_factory=dict)
    pod_labels: dict[str, str] | None = None


def _matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    # LabelSelectorAsSelector: matchLabels and every matchExpressions requirement, ANDed;
    # an empty selector matches everything. Operators (``selection.Operator`` of
    # pkg/labels/selector.go ``Requirement.Matches``): In needs the key with a listed value,
    # NotIn the key absent or unlisted, Exists the key, DoesNotExist its absence.
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for requirement in selector.get("matchExpressions") or []:
        key, operator = requirement["key"], requirement["operator"]
        values = requirement.get("values") or []
        if operator == "In":
            ok = key in labels and labels[key] in values
        elif operator == "NotIn":
            ok = key not in labels or labels[key] not in values
        elif operator == "Exists":
            ok = key in labels
        elif operator == "DoesNotExist":
            ok = key not in labels
        else:
            raise ValueError(f"matchExpressions: unknown operator {operator!r}")
        if not ok:
            return False
    return True


def _policy_types(spec: Mapping[str, Any]) -> list[str]:
    # NetworkPolicySpec.policyTypes: "If this field is not specified, it will default based on
    # the existence of ingress or egress rules; policies that contain an egress section are
    # assumed to affect egress, and all policies ... are assumed to affect ingress."
    if "policyTypes" in spec:
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _ports_admit(
    rule: Mapping[str, Any], port: int, protocol: str, named: Mapping[str, int] | None
) -> bool:
    # NetworkPolicyIngressRule/EgressRule.ports: "If this field is empty or missing, this
    # rule matches all ports"; items are ORed.
    if not rule.get("ports"):
        return True
    for p in rule["ports"]:
        # NetworkPolicyPort.protocol: "If not specified, this field defaults to TCP."
        if p.get("protocol", "TCP") != protocol:
            continue
        # .port: "If this field is not provided, this matches all port names and numbers."
        if "port" not in p:
            return True
        wanted = p["port"]
        if isinstance(wanted, str):
            # "either a numerical or named port on a pod": the selected pod's container port
            # of that name (endPort "cannot be defined" with a named port).
            if named is None:
                raise LookupError(f"a policy names port {wanted!r}: give the pod's named ports")
            if named.get(wanted) == port:
                return True
            continue
        # .endPort: "the range of ports from port to endPort if set, inclusive".
        if wanted <= port <= p.get("endPort", wanted):
            return True
    return False


def _in_namespace(
    peer: Mapping[str, Any], policy: Mapping[str, Any], namespace_labels: Mapping[str, str]
) -> bool:
    # NetworkPolicyPeer.podSelector: with namespaceSelector, pods of the namespaces it
    # selects ("if present but empty, it selects all namespaces"); "Otherwise it selects the
    # pods matching podSelector in the policy's own namespace".
    if "namespaceSelector" in peer:
        return _matches(peer["namespaceSelector"], namespace_labels)
    own = (policy.get("metadata") or {}).get("namespace", NAMESPACE)
    return bool(namespace_labels.get(NAME_LABEL) == own)


def _in_block(block: Mapping[str, Any], address: str) -> bool:
    # IPBlock: the CIDR, minus the CIDRs of ``except``.
    ip = ipaddress.ip_address(address)
    network = ipaddress.ip_network(block["cidr"])
    if ip.version != network.version or ip not in network:
        return False
    return not any(
        ip.version == ipaddress.ip_network(e).version and ip in ipaddress.ip_network(e)
        for e in block.get("except") or []
    )


def _selecting(
    policies: list[dict[str, Any]], kind: str, namespace: str, labels: Mapping[str, str]
) -> list[dict[str, Any]]:
    # NetworkPolicySpec.podSelector "selects the pods to which this NetworkPolicy object
    # applies" ("An empty podSelector matches all pods in this namespace"), for the
    # directions of its policyTypes.
    return [
        p
        for p in policies
        if kind in _policy_types(p["spec"])
        and (p.get("metadata") or {}).get("namespace", NAMESPACE) == namespace
        and _matches(p["spec"].get("podSelector") or {}, labels)
    ]


def allowed(
    policies: list[dict[str, Any]],
    source: tuple[dict[str, str], dict[str, str]],
    target: dict[str, str],
    port: int,
    protocol: str = "TCP",
    named_ports: Mapping[str, int] | None = None,
    namespace: str = NAMESPACE,
) -> bool:
    """Whether a pod (``source``: its namespace's labels and its own) may connect to a pod
    of ``namespace`` labelled ``target`` on ``port`` (``named_ports``: the target's container
    ports by name). NetworkPolicySpec.ingress: "Traffic is allowed to a pod if there are no
    NetworkPolicies selecting the pod ... OR if the traffic matches at least one ingress
    rule across all of the NetworkPolicy objects whose podSelector matches the pod"."""
    selecting = _selecting(policies, "Ingress", namespace, target)
    if not selecting:
        return True
    namespace_labels, pod_labels = source
    for policy in selecting:
        for rule in policy["spec"].get("ingress") or []:
            if not _ports_admit(rule, port, protocol, named_ports):
                continue
            # .from: "If this field is empty or missing, this rule matches all sources".
            if not rule.get("from"):
                return True
            for peer in rule["from"]:
                if "ipBlock" in peer:
                    continue  # a pod source has no address here (see the module's note)
                if _in_namespace(peer, policy, namespace_labels) and _matches(
                    peer.get("podSelector") or {}, pod_labels
                ):
                    return True
    return False


def _peer_admits(peer: Mapping[str, Any], policy: Mapping[str, Any], to: Destination) -> bool:
    # NetworkPolicyPeer: "ipBlock ... If this field is set then neither of the other fields
    # can be"; selectors select pods only, never addresses outside the cluster.
    if "ipBlock" in peer:
        return _in_block(peer["ipBlock"], to.address)
    if to.pod_labels is None:
        return False
    return _in_namespace(peer, policy, to.namespace_labels) and _matches(
        peer.get("podSelector") or {}, to.pod_labels
    )


def egress_allowed(
    policies: list[dict[str, Any]],
    source: dict[str, str],
    to: Destination,
    port: int,
    protocol: str = "TCP",
    named_ports: Mapping[str, int] | None = None,
    namespace: str = NAMESPACE,
) -> bool:
    """Whether a pod of ``namespace`` labelled ``source`` may connect to ``to`` on ``port``.
    NetworkPolicySpec.egress: "Outgoing traffic is allowed if there are no NetworkPolicies
    selecting the pod ... OR if the traffic matches at least one egress rule across all of
    the NetworkPolicy objects whose podSelector matches the pod"."""
    selecting = _selecting(policies, "Egress", namespace, source)
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("egress") or []:
            if not _ports_admit(rule, port, protocol, named_ports):
                continue
            # .to: "If this field is empty or missing, this rule matches all destinations".
            if not rule.get("to") or any(_peer_admits(peer, policy, to) for peer in rule["to"]):
                return True
    return False
