"""The schema of ``KubeSchedulerConfiguration`` (kubescheduler.config.k8s.io/v1), for checking
the user scheduler's configuration as kube-scheduler's strict decoding would.

kube-scheduler decodes its ``--config`` file strictly (unknown fields are errors), and no CRD
or OpenAPI document exists for the kind: this schema is written from its Go types at
kubernetes/kube-scheduler tag v0.30.14 (commit 4a6cac89426af52bd105f8ec037985d02b27c0e9), the
release of the user scheduler's image (registry.k8s.io/kube-scheduler:v1.30.14):

- ``config/v1/types.go``: ``KubeSchedulerConfiguration``, ``KubeSchedulerProfile``,
  ``Plugins``, ``PluginSet``, ``Plugin``, ``PluginConfig``;
- ``config/v1/types_pluginargs.go``: ``NodeResourcesFitArgs``, ``ScoringStrategy``
  (``LeastAllocated``, ``MostAllocated``, ``RequestedToCapacityRatio``), ``ResourceSpec``;
- k8s.io/component-base ``config/v1alpha1/types.go``: ``LeaderElectionConfiguration``;
- plugin names: kubernetes/kubernetes ``pkg/scheduler/framework/plugins/names/names.go``
  (the in-tree registry; an unknown name fails kube-scheduler's start).

Fields the library never sets (clientConnection, extenders, other plugins' args) are left out,
so that setting one is an error here until it is written down from the types.
"""

from __future__ import annotations

from typing import Any

import jsonschema

__all__ = ["PLUGIN_NAMES", "SCHEMA", "scheduler_config_problems"]

PLUGIN_NAMES = (
    "PrioritySort",
    "DefaultBinder",
    "DefaultPreemption",
    "ImageLocality",
    "InterPodAffinity",
    "NodeAffinity",
    "NodeName",
    "NodePorts",
    "NodeResourcesBalancedAllocation",
    "NodeResourcesFit",
    "NodeUnschedulable",
    "NodeVolumeLimits",
    "PodTopologySpread",
    "TaintToleration",
    "VolumeBinding",
    "VolumeRestrictions",
    "VolumeZone",
)
_INT32 = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
_DURATION = {"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$"}


def _closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


_PLUGIN = _closed({"name": {"enum": list(PLUGIN_NAMES)}, "weight": _INT32}, ("name",))
_PLUGIN_SET = _closed(
    {
        "enabled": {"type": "array", "items": _PLUGIN},
        "disabled": {"type": "array", "items": _PLUGIN},
    }
)
_EXTENSION_POINTS = (
    "preEnqueue",
    "queueSort",
    "preFilter",
    "filter",
    "postFilter",
    "preScore",
    "score",
    "reserve",
    "permit",
    "preBind",
    "bind",
    "postBind",
    "multiPoint",
)
_NODE_RESOURCES_FIT_ARGS = _closed(
    {
        "ignoredResources": {"type": "array", "items": {"type": "string"}},
        "ignoredResourceGroups": {"type": "array", "items": {"type": "string"}},
        "scoringStrategy": _closed(
            {
                "type": {"enum": ["LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"]},
                "resources": {
                    "type": "array",
                    "items": _closed(
                        {"name": {"type": "string"}, "weight": {"type": "integer"}}, ("name",)
                    ),
                },
            }
        ),
    }
)
_PLUGIN_CONFIG = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"enum": list(PLUGIN_NAMES)}, "args": {"type": "object"}},
    "additionalProperties": False,
    # Args are decoded as <name>Args: only NodeResourcesFit's are written down here.
    "if": {"properties": {"name": {"const": "NodeResourcesFit"}}},
    "then": {"properties": {"args": _NODE_RESOURCES_FIT_ARGS}},
    "else": {"not": {"required": ["args"]}},
}
SCHEMA: dict[str, Any] = _closed(
    {
        "apiVersion": {"const": "kubescheduler.config.k8s.io/v1"},
        "kind": {"const": "KubeSchedulerConfiguration"},
        "parallelism": _INT32,
        "percentageOfNodesToScore": _INT32,
        "podInitialBackoffSeconds": {"type": "integer"},
        "podMaxBackoffSeconds": {"type": "integer"},
        "delayCacheUntilActive": {"type": "boolean"},
        "leaderElection": _closed(
            {
                "leaderElect": {"type": "boolean"},
                "leaseDuration": _DURATION,
                "renewDeadline": _DURATION,
                "retryPeriod": _DURATION,
                # component-base accepts these lock types; kube-scheduler 1.30 only leases.
                "resourceLock": {"enum": ["leases"]},
                "resourceName": {"type": "string", "minLength": 1},
                "resourceNamespace": {"type": "string", "minLength": 1},
            }
        ),
        "profiles": {
            "type": "array",
            "items": _closed(
                {
                    "schedulerName": {"type": "string", "minLength": 1},
                    "percentageOfNodesToScore": _INT32,
                    "plugins": _closed({point: _PLUGIN_SET for point in _EXTENSION_POINTS}),
                    "pluginConfig": {"type": "array", "items": _PLUGIN_CONFIG},
                }
            ),
        },
    },
    ("apiVersion", "kind"),
)


def scheduler_config_problems(config: dict[str, Any]) -> list[str]:
    """What kube-scheduler's strict decoding and validation would refuse: schema errors, and
    a default score plugin enabled again without being disabled first (z2jh's values.yaml,
    scheduling.userScheduler.plugins: "Disable plugins to be allowed to enable them again with
    a different weight and avoid an error")."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(config)
    ]
    for profile in config.get("profiles", []):
        score = profile.get("plugins", {}).get("score", {})
        disabled = {p["name"] for p in score.get("disabled", [])}
        enabled = [p["name"] for p in score.get("enabled", [])]
        if len(set(enabled)) != len(enabled):
            problems.append(f"profile {profile.get('schedulerName')}: a score plugin twice")
        problems += [
            f"profile {profile.get('schedulerName')}: {name} re-enabled without being disabled"
            for name in enabled
            if name in _DEFAULT_SCORE and name not in disabled and "*" not in disabled
        ]
    return problems


# The default scoring plugins, as z2jh's values.yaml lists them from
# kubernetes.io/docs/reference/scheduling/config/#scheduling-plugins (2024-09-23).
_DEFAULT_SCORE = frozenset(
    {
        "NodeAffinity",
        "InterPodAffinity",
        "NodeResourcesFit",
        "ImageLocality",
        "TaintToleration",
        "PodTopologySpread",
        "VolumeBinding",
        "NodeResourcesBalancedAllocation",
    }
)
