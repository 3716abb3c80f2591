"""Where pods may run: node selector, tolerations and affinity, for hub, proxy and user pods.

The same typed values render the hub's and the proxy's pod templates and the user pods'
KubeSpawner overrides (``node_selector``, ``tolerations``, ``node_affinity_required`` and
``_preferred``, ``pod_affinity_*``, ``pod_anti_affinity_*``), so one profile's rules and a
component's read alike. Every check is the API server's own (label keys and values, operators,
effects), made at construct time so that a mistake never reaches a spawn.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from enum import StrEnum
from typing import Any, Protocol

from constructs import Construct

from constructs_lib._core._checks import enum_members
from constructs_lib._core._errors import invalid
from constructs_lib._core._names import check_label_key, check_label_value
from hub_runtime.frozen import frozen

__all__ = [
    "GPU_TOLERATION",
    "NodeAffinityTerm",
    "NodeOperator",
    "NodeRequirement",
    "PodAffinityTerm",
    "Scheduling",
    "TaintEffect",
    "Toleration",
    "TolerationOperator",
]

_INTEGER = re.compile(r"-?[0-9]+")


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


class TolerationOperator(StrEnum):
    EQUAL = "Equal"
    EXISTS = "Exists"


class NodeOperator(StrEnum):
    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"
    GT = "Gt"
    LT = "Lt"


def _check_weight(scope: Construct, field: str, weight: object) -> None:
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
        raise invalid(scope, field, weight, "must be a whole number from 1 to 100")


@frozen
class Toleration:
    """Lets a pod run on nodes with a matching taint. ``Toleration.exists(key, effect)`` and
    ``Toleration.equal(key, value, effect)`` are the usual shapes; a toleration with no key
    and ``Exists`` tolerates every taint."""

    key: str | None = None
    operator: TolerationOperator = TolerationOperator.EQUAL
    value: str | None = None
    # None: every effect.
    effect: TaintEffect | None = None
    # How long the pod stays on a node once a NoExecute taint appears; None: for ever.
    toleration_seconds: int | None = None

    @staticmethod
    def exists(
        key: str, effect: TaintEffect | None = None, *, toleration_seconds: int | None = None
    ) -> Toleration:
        return Toleration(key, TolerationOperator.EXISTS, None, effect, toleration_seconds)

    @staticmethod
    def equal(
        key: str,
        value: str,
        effect: TaintEffect | None = None,
        *,
        toleration_seconds: int | None = None,
    ) -> Toleration:
        return Toleration(key, TolerationOperator.EQUAL, value, effect, toleration_seconds)

    def check(self, scope: Construct, field: str) -> None:
        if not isinstance(self.operator, TolerationOperator):
            raise invalid(
                scope,
                f"{field}.operator",
                self.operator,
                f"must be one of {enum_members(TolerationOperator, self.operator)}",
            )
        if self.key is None:
            if self.operator is not TolerationOperator.EXISTS:
                raise invalid(
                    scope,
                    f"{field}.operator",
                    self.operator.value,
                    "must be Exists when no key is given (it then tolerates every taint)",
                )
        else:
            check_label_key(scope, f"{field}.key", self.key)
        if self.operator is TolerationOperator.EXISTS and self.value is not None:
            raise invalid(
                scope,
                f"{field}.value",
                self.value,
                "must not be given with operator Exists (it matches any value)",
            )
        if self.operator is TolerationOperator.EQUAL:
            check_label_value(scope, f"{field}.value", self.value or "")
        if self.effect is not None and not isinstance(self.effect, TaintEffect):
            raise invalid(
                scope,
                f"{field}.effect",
                self.effect,
                f"must be one of {enum_members(TaintEffect, self.effect)} (or None: all)",
            )
        if self.toleration_seconds is not None:
            if self.effect is not TaintEffect.NO_EXECUTE:
                raise invalid(
                    scope,
                    f"{field}.toleration_seconds",
                    self.toleration_seconds,
                    "must only be given with effect NoExecute (other effects never evict)",
                )
            if isinstance(self.toleration_seconds, bool) or not isinstance(
                self.toleration_seconds, int
            ):
                raise invalid(
                    scope,
                    f"{field}.toleration_seconds",
                    self.toleration_seconds,
                    "must be a whole number of seconds",
                )

    def to_manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = {"operator": self.operator.value}
        if self.key is not None:
            manifest["key"] = self.key
        if self.value is not None:
            manifest["value"] = self.value
        if self.effect is not None:
            manifest["effect"] = self.effect.value
        if self.toleration_seconds is not None:
            manifest["tolerationSeconds"] = self.toleration_seconds
        return manifest


# The taint the NVIDIA GPU operator and the clouds' GPU node pools put on GPU nodes.
GPU_TOLERATION = Toleration.exists("nvidia.com/gpu", TaintEffect.NO_SCHEDULE)


@frozen
class NodeRequirement:
    """One condition on a node's labels (a ``NodeSelectorRequirement``). Use the factory
    methods: ``NodeRequirement.in_("topology.kubernetes.io/zone", "eu-west-1a")``."""

    key: str
    operator: NodeOperator
    values: tuple[str, ...] = ()

    @staticmethod
    def in_(key: str, *values: str) -> NodeRequirement:
        return NodeRequirement(key, NodeOperator.IN, tuple(values))

    @staticmethod
    def not_in(key: str, *values: str) -> NodeRequirement:
        return NodeRequirement(key, NodeOperator.NOT_IN, tuple(values))

    @staticmethod
    def exists(key: str) -> NodeRequirement:
        return NodeRequirement(key, NodeOperator.EXISTS)

    @staticmethod
    def does_not_exist(key: str) -> NodeRequirement:
        return NodeRequirement(key, NodeOperator.DOES_NOT_EXIST)

    @staticmethod
    def greater_than(key: str, value: int) -> NodeRequirement:
        return NodeRequirement(key, NodeOperator.GT, (str(value),))

    @staticmethod
    def less_than(key: str, value: int) -> NodeRequirement:
        return NodeRequirement(key, NodeOperator.LT, (str(value),))

    def check(self, scope: Construct, field: str) -> None:
        check_label_key(scope, f"{field}.key", self.key)
        if not isinstance(self.operator, NodeOperator):
            raise invalid(
                scope,
                f"{field}.operator",
                self.operator,
                f"must be one of {enum_members(NodeOperator, self.operator)}",
            )
        values = self.values
        if isinstance(values, str):
            raise invalid(scope, f"{field}.values", values, "must be a list of values")
        if self.operator in (NodeOperator.IN, NodeOperator.NOT_IN):
            if not values:
                raise invalid(
                    scope,
                    f"{field}.values",
                    list(values),
                    f"must name at least one value for operator {self.operator.value}",
                )
            for index, value in enumerate(values):
                check_label_value(scope, f"{field}.values[{index}]", value)
        elif self.operator in (NodeOperator.EXISTS, NodeOperator.DOES_NOT_EXIST):
            if values:
                raise invalid(
                    scope,
                    f"{field}.values",
                    list(values),
                    f"must be empty for operator {self.operator.value}",
                )
        elif len(values) != 1 or not _INTEGER.fullmatch(str(values[0])):
            raise invalid(
                scope,
                f"{field}.values",
                list(values),
                f"must be one whole number for operator {self.operator.value}",
            )

    def to_manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = {"key": self.key, "operator": self.operator.value}
        if self.values:
            manifest["values"] = list(self.values)
        return manifest


@frozen
class NodeAffinityTerm:
    """Nodes whose labels meet every requirement: required (the pod runs only there), or
    preferred with a weight from 1 to 100. ``NodeAffinityTerm.required(...)``,
    ``NodeAffinityTerm.preferred(weight, ...)``; several required terms are alternatives."""

    requirements: tuple[NodeRequirement, ...]
    # None: required.
    weight: int | None = None

    @staticmethod
    def required(*requirements: NodeRequirement) -> NodeAffinityTerm:
        return NodeAffinityTerm(tuple(requirements))

    @staticmethod
    def preferred(weight: int, *requirements: NodeRequirement) -> NodeAffinityTerm:
        return NodeAffinityTerm(tuple(requirements), weight)

    def check(self, scope: Construct, field: str) -> None:
        if not self.requirements:
            raise invalid(
                scope, f"{field}.requirements", [], "must name at least one NodeRequirement"
            )
        for index, requirement in enumerate(self.requirements):
            if not isinstance(requirement, NodeRequirement):
                raise invalid(
                    scope,
                    f"{field}.requirements[{index}]",
                    requirement,
                    "must be a NodeRequirement",
                )
            requirement.check(scope, f"{field}.requirements[{index}]")
        if self.weight is not None:
            _check_weight(scope, f"{field}.weight", self.weight)

    def term(self) -> dict[str, Any]:
        """The ``NodeSelectorTerm``."""
        return {"matchExpressions": [r.to_manifest() for r in self.requirements]}


@frozen
class PodAffinityTerm:
    """Near (or, with ``apart=True``, away from) pods with these labels, within one value of
    ``topology_key`` (a node by default): required, or preferred with a weight from 1 to 100.
    The pods are looked for in the pod's own namespace."""

    match_labels: Mapping[str, str]
    topology_key: str = "kubernetes.io/hostname"
    # None: required.
    weight: int | None = None
    apart: bool = False

    @staticmethod
    def together(
        match_labels: Mapping[str, str],
        *,
        topology_key: str = "kubernetes.io/hostname",
        weight: int | None = None,
    ) -> PodAffinityTerm:
        return PodAffinityTerm(dict(match_labels), topology_key, weight)

    @staticmethod
    def apart_from(
        match_labels: Mapping[str, str],
        *,
        topology_key: str = "kubernetes.io/hostname",
        weight: int | None = None,
    ) -> PodAffinityTerm:
        return PodAffinityTerm(dict(match_labels), topology_key, weight, apart=True)

    def check(self, scope: Construct, field: str) -> None:
        if not isinstance(self.match_labels, Mapping) or not self.match_labels:
            raise invalid(
                scope, f"{field}.match_labels", self.match_labels, "must name at least one label"
            )
        for key, value in self.match_labels.items():
            check_label_key(scope, f"{field}.match_labels", key)
            check_label_value(scope, f"{field}.match_labels[{key!r}]", value)
        check_label_key(scope, f"{field}.topology_key", self.topology_key)
        if self.weight is not None:
            _check_weight(scope, f"{field}.weight", self.weight)

    def term(self) -> dict[str, Any]:
        """The ``PodAffinityTerm``."""
        return {
            "labelSelector": {"matchLabels": dict(sorted(self.match_labels.items()))},
            "topologyKey": self.topology_key,
        }


Affinity = NodeAffinityTerm | PodAffinityTerm


class PlacementProps(Protocol):
    """Props that place their pods: a node selector, tolerations and affinity terms."""

    @property
    def node_selector(self) -> Mapping[str, str] | None: ...

    @property
    def tolerations(self) -> Sequence[Toleration]: ...

    @property
    def affinity(self) -> Sequence[Affinity]: ...


@frozen
class Scheduling:
    """A pod's node selector, tolerations and affinity terms, checked."""

    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Toleration, ...] = ()
    affinity: tuple[Affinity, ...] = ()

    @staticmethod
    def of_props(scope: Construct, props: PlacementProps) -> Scheduling:
        """:meth:`of` with the fields of ``props``."""
        return Scheduling.of(
            scope,
            node_selector=props.node_selector,
            tolerations=props.tolerations,
            affinity=props.affinity,
        )

    @staticmethod
    def of(
        scope: Construct,
        *,
        node_selector: Mapping[str, str] | None,
        tolerations: Sequence[Toleration],
        affinity: Sequence[Affinity],
    ) -> Scheduling:
        """Checked, with the fields named as the props are (``node_selector``,
        ``tolerations[0].value``, ``affinity[1].weight``)."""
        selector = node_selector or {}
        if not isinstance(selector, Mapping):
            raise invalid(scope, "node_selector", selector, "must be a mapping of label to value")
        for key, value in selector.items():
            check_label_key(scope, "node_selector", key)
            check_label_value(scope, f"node_selector[{key!r}]", value)
        for name, items, kinds in (
            ("tolerations", tolerations, (Toleration,)),
            ("affinity", affinity, (NodeAffinityTerm, PodAffinityTerm)),
        ):
            if isinstance(items, (str, *kinds)) or not isinstance(items, Sequence):
                what = " or ".join(kind.__name__ for kind in kinds)
                raise invalid(scope, name, items, f"must be a list of {what}")
            for index, item in enumerate(items):
                if not isinstance(item, kinds):
                    what = " or ".join(kind.__name__ for kind in kinds)
                    raise invalid(scope, f"{name}[{index}]", item, f"must be a {what}")
                item.check(scope, f"{name}[{index}]")
        return Scheduling(dict(sorted(selector.items())), tuple(tolerations), tuple(affinity))

    def _terms(self) -> dict[str, list[dict[str, Any]]]:
        """The affinity terms by KubeSpawner's trait names (the pod's fields, grouped)."""
        terms: dict[str, list[dict[str, Any]]] = {
            "node_affinity_required": [],
            "node_affinity_preferred": [],
            "pod_affinity_required": [],
            "pod_affinity_preferred": [],
            "pod_anti_affinity_required": [],
            "pod_anti_affinity_preferred": [],
        }
        for term in self.affinity:
            if isinstance(term, NodeAffinityTerm):
                kind = "node_affinity"
                body = term.term()
                preferred = {"weight": term.weight, "preference": body}
            else:
                kind = "pod_anti_affinity" if term.apart else "pod_affinity"
                body = term.term()
                preferred = {"weight": term.weight, "podAffinityTerm": body}
            if term.weight is None:
                terms[f"{kind}_required"].append(body)
            else:
                terms[f"{kind}_preferred"].append(preferred)
        return terms

    def kubespawner_override(self) -> dict[str, Any]:
        """KubeSpawner's traits for these rules (only those that are set)."""
        override: dict[str, Any] = {name: terms for name, terms in self._terms().items() if terms}
        if self.node_selector:
            override["node_selector"] = dict(self.node_selector)
        if self.tolerations:
            override["tolerations"] = [t.to_manifest() for t in self.tolerations]
        return override

    def pod_spec(self) -> dict[str, Any]:
        """The pod spec fields for these rules (only those that are set)."""
        spec: dict[str, Any] = {}
        if self.node_selector:
            spec["nodeSelector"] = dict(self.node_selector)
        if self.tolerations:
            spec["tolerations"] = [t.to_manifest() for t in self.tolerations]
        terms = self._terms()
        affinity: dict[str, Any] = {}
        node: dict[str, Any] = {}
        if terms["node_affinity_required"]:
            node["requiredDuringSchedulingIgnoredDuringExecution"] = {
                "nodeSelectorTerms": terms["node_affinity_required"]
            }
        if terms["node_affinity_preferred"]:
            node["preferredDuringSchedulingIgnoredDuringExecution"] = terms[
                "node_affinity_preferred"
            ]
        if node:
            affinity["nodeAffinity"] = node
        for kind, key in (
            ("pod_affinity", "podAffinity"),
            ("pod_anti_affinity", "podAntiAffinity"),
        ):
            part: dict[str, Any] = {}
            if terms[f"{kind}_required"]:
                part["requiredDuringSchedulingIgnoredDuringExecution"] = terms[f"{kind}_required"]
            if terms[f"{kind}_preferred"]:
                part["preferredDuringSchedulingIgnoredDuringExecution"] = terms[f"{kind}_preferred"]
            if part:
                affinity[key] = part
        if affinity:
            spec["affinity"] = affinity
        return spec
