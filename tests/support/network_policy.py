"""NetworkPolicies evaluated as Kubernetes does (https://kubernetes.io/docs/concepts/services-networking/network-policies/,
"The two sorts of pod isolation"): a pod is isolated for a direction once a policy of that type
selects it, then admitted by the union (OR) of those policies' rules for that direction."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

# The labels of the namespace the tests deploy into.
NAMESPACE_LABELS = {"name": "jupyterhub"}


@dataclass(frozen=True)
class Destination:
    """Where an egress connection goes: a pod (its namespace's labels and its own) or, with
    ``pod_labels`` None, an address outside the cluster's pods, matched by ``ipBlock`` only."""

    address: str
    namespace_labels: dict[str, str] = field(default_factory=dict)
    pod_labels: dict[str, str] | None = None


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _policy_types(spec: dict[str, Any]) -> list[str]:
    # API reference, NetworkPolicySpec.policyTypes: unset means ["Ingress"], plus "Egress" when
    # the policy has any egress rules.
    if "policyTypes" in spec:
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _ports_admit(rule: dict[str, Any], port: int, protocol: str) -> bool:
    # NetworkPolicyPort: protocol defaults to TCP; a missing port means every port; endPort
    # makes a range. A rule without ``ports`` admits every port.
    if "ports" not in rule:
        return True
    for p in rule["ports"]:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p:
            return True
        if p["port"] == port or (p["port"] <= port <= p.get("endPort", p["port"])):
            return True
    return False


def allowed(
    policies: list[dict[str, Any]],
    source: tuple[dict[str, str], dict[str, str]],
    target: dict[str, str],
    port: int,
    protocol: str = "TCP",
) -> bool:
    """Kubernetes semantics for ingress: isolated once selected, then the union of rules."""
    selecting = [
        p
        for p in policies
        if "Ingress" in _policy_types(p["spec"]) and _matches(p["spec"]["podSelector"], target)
    ]
    if not selecting:
        return True
    namespace_labels, pod_labels = source
    for policy in selecting:
        for rule in policy["spec"].get("ingress") or []:
            if not _ports_admit(rule, port, protocol):
                continue
            if "from" not in rule:
                return True
            for peer in rule["from"]:
                in_namespace = (
                    _matches(peer["namespaceSelector"], namespace_labels)
                    if "namespaceSelector" in peer
                    else namespace_labels == NAMESPACE_LABELS
                )
                if in_namespace and _matches(peer.get("podSelector", {}), pod_labels):
                    return True
    return False


def _peer_admits(peer: dict[str, Any], to: Destination) -> bool:
    # NetworkPolicyPeer: an ipBlock matches by CIDR minus ``except``; namespaceSelector and
    # podSelector together mean pods so labelled in namespaces so labelled; a podSelector alone
    # means the policy's own namespace. Selectors match pods only, never outside addresses.
    block = peer.get("ipBlock")
    if block is not None:
        ip = ipaddress.ip_address(to.address)
        network = ipaddress.ip_network(block["cidr"])
        return (
            ip.version == network.version
            and ip in network
            and not any(
                ip.version == ipaddress.ip_network(e).version and ip in ipaddress.ip_network(e)
                for e in block.get("except", [])
            )
        )
    if to.pod_labels is None:
        return False
    in_namespace = (
        _matches(peer["namespaceSelector"], to.namespace_labels)
        if "namespaceSelector" in peer
        else to.namespace_labels == NAMESPACE_LABELS
    )
    return in_namespace and _matches(peer.get("podSelector", {}), to.pod_labels)


def egress_allowed(
    policies: list[dict[str, Any]],
    source: dict[str, str],
    to: Destination,
    port: int,
    protocol: str = "TCP",
) -> bool:
    """Kubernetes semantics for egress: a pod selected by any policy of type Egress is denied
    all egress but what some rule of those policies admits (rules OR; a rule without ``to``
    admits every destination on its ports)."""
    selecting = [
        p
        for p in policies
        if "Egress" in _policy_types(p["spec"]) and _matches(p["spec"]["podSelector"], source)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("egress") or []:
            if not _ports_admit(rule, port, protocol):
                continue
            if "to" not in rule or any(_peer_admits(peer, to) for peer in rule["to"]):
                return True
    return False
