"""What Argo CD 3.5 reports as out of sync, and the fields the cluster's own machinery writes
into the objects it applied: the stand-in for a cluster plus Argo CD, which cannot run here.

Argo CD's comparison (argoproj/argo-cd v3.5.1, gitops-engine/pkg/diff/diff.go):

- ``Diff``: both sides go through ``Normalize`` (``metadata.creationTimestamp`` dropped, then
  the Application's ignoreDifferences), then, with a last-applied configuration on the live
  object (Argo CD applies with ``kubectl apply``, which writes it), ``ThreeWayDiff``;
- ``threeWayMergePatch``: for a kind without a Go scheme (every custom resource),
  ``jsonutil.RemoveMapFields(orig, live)`` first removes from the live object every field the
  applied configuration does not have (gitops-engine/pkg/utils/json/json.go: map keys
  recursively, list items by index; an extra list item stays); for a built-in kind the
  strategic merge patch keeps fields only the live object has, and ``applyPatch`` fills the
  scheme's defaults into the prediction;
- the object is in sync when the live object, patched with the three-way patch of (applied,
  Git, live), is the live object. After a sync the applied configuration is Git's, so the
  patch holds exactly the fields Git sets to another value than the live object has.

So a field drifts forever (with self-heal: re-applied on every sync, the object flapping)
when Git sets it and something on the cluster writes another value. Fields that only the
cluster sets never drift. ``drift`` finds the first kind; ``CONTROLLER_FIELDS`` is the list of
what the cluster writes into the objects of ``dist/``, each with who writes it and the source.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.crd_schemas import defaulted, is_custom

__all__ = [
    "CONTROLLER_FIELDS",
    "ControllerField",
    "drift",
    "live_object",
    "sets",
    "writers",
    "written",
]

Manifest = dict[str, Any]


@dataclass(frozen=True)
class ControllerField:
    """A field of an applied object that the cluster writes."""

    # (group, kind) it applies to; "*" for every kind.
    kind: tuple[str, str] | str
    # A JSON pointer; "*" stands for every list item.
    pointer: str
    writer: str
    source: str
    # The value the writer puts there (in the stand-in's live object).
    value: Any
    # Only objects this holds for (e.g. a Deployment an HPA scales).
    applies: Callable[[Manifest, list[Manifest]], bool] = lambda _m, _all: True


def _group_kind(manifest: Manifest) -> tuple[str, str]:
    return manifest["apiVersion"].rpartition("/")[0], manifest["kind"]


def _scaled_by_an_hpa(manifest: Manifest, everything: list[Manifest]) -> bool:
    return any(
        m["kind"] == "HorizontalPodAutoscaler"
        and m["spec"]["scaleTargetRef"]["kind"] == manifest["kind"]
        and m["spec"]["scaleTargetRef"]["name"] == manifest["metadata"]["name"]
        for m in everything
    )


_WORKLOADS = (("apps", "Deployment"), ("apps", "StatefulSet"))

CONTROLLER_FIELDS: tuple[ControllerField, ...] = (
    ControllerField(
        "*",
        "/status",
        "every controller, through the status subresource",
        "Argo CD: resource.compareoptions ignoreResourceStatusField, default all "
        "(docs/user-guide/diffing.md)",
        {"observedGeneration": 1},
    ),
    *(
        ControllerField(
            "*",
            f"/metadata/{name}",
            "kube-apiserver, on create and update",
            "k8s.io/apiserver pkg/registry/rest/create.go BeforeCreate, FillObjectMetaSystemFields",
            value,
        )
        for name, value in (
            ("uid", "6f1c0e3a-0000-4000-8000-000000000000"),
            ("resourceVersion", "4711"),
            ("generation", 1),
            ("creationTimestamp", "2026-01-01T00:00:00Z"),
            ("managedFields", [{"manager": "argocd-controller", "operation": "Update"}]),
        )
    ),
    ControllerField(
        "*",
        "/metadata/annotations/argocd.argoproj.io~1tracking-id",
        "Argo CD, tracking the objects of an Application",
        "docs/user-guide/resource_tracking.md: annotation tracking, the default",
        "jupyterhub:apps/Deployment:jupyterhub/x",
    ),
    ControllerField(
        "*",
        "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
        "Argo CD's kubectl apply",
        "gitops-engine/pkg/diff/diff.go GetLastAppliedConfigAnnotation",
        "{}",
    ),
    ControllerField(
        ("", "Namespace"),
        "/metadata/labels/kubernetes.io~1metadata.name",
        "kube-apiserver (NamespaceDefaultLabelName, 1.21+)",
        "kubernetes pkg/apis/core/v1/defaults.go SetDefaults_Namespace",
        "jupyterhub",
    ),
    ControllerField(
        ("", "Namespace"),
        "/spec/finalizers",
        "kube-apiserver",
        "kubernetes pkg/registry/core/namespace/strategy.go PrepareForCreate",
        ["kubernetes"],
    ),
    *(
        ControllerField(
            ("", "Service"),
            f"/spec/{name}",
            "kube-apiserver: the IP allocator and Service defaults",
            "kubernetes pkg/registry/core/service/storage/alloc.go; "
            "pkg/apis/core/v1/defaults.go SetDefaults_Service",
            value,
        )
        for name, value in (
            ("clusterIP", "10.96.0.12"),
            ("clusterIPs", ["10.96.0.12"]),
            ("ipFamilies", ["IPv4"]),
            ("ipFamilyPolicy", "SingleStack"),
            ("internalTrafficPolicy", "Cluster"),
            ("sessionAffinity", "None"),
        )
    ),
    ControllerField(
        ("apps", "Deployment"),
        "/spec/replicas",
        "the HorizontalPodAutoscaler controller, through the scale subresource",
        "kubernetes pkg/controller/podautoscaler/horizontal.go reconcileAutoscaler; Argo CD "
        "docs/user-guide/diffing.md (the spec.replicas example)",
        3,
        _scaled_by_an_hpa,
    ),
    ControllerField(
        ("apps", "Deployment"),
        "/metadata/annotations/deployment.kubernetes.io~1revision",
        "the Deployment controller",
        "kubernetes pkg/controller/deployment/util/deployment_util.go SetDeploymentRevision",
        "2",
    ),
    *(
        ControllerField(
            kind,
            "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
            "kubectl rollout restart",
            "kubectl pkg/polymorphichelpers/objectrestarter.go defaultObjectRestarter",
            "2026-01-01T00:00:00Z",
        )
        for kind in _WORKLOADS
    ),
    *(
        ControllerField(
            kind,
            "/spec/template/metadata/annotations/reloader.stakater.com~1last-reloaded-from",
            "stakater Reloader (reloadStrategy annotations), on a change of the proxy token",
            "stakater Reloader docs, how-to guide 'Use Reloader with Argo CD'",
            '{"kind":"Secret","name":"jupyterhub-proxy-token"}',
        )
        for kind in _WORKLOADS
    ),
    *(
        ControllerField(
            kind,
            "/spec/template/spec/containers/*/env/-",
            "stakater Reloader (reloadStrategy env-vars, its default), on a change of the "
            "proxy token",
            "stakater Reloader docs, how-to guide 'Use Reloader with Argo CD'",
            {"name": "STAKATER_JUPYTERHUB_PROXY_TOKEN_SECRET", "value": "5f3c"},
        )
        for kind in _WORKLOADS
    ),
    *(
        ControllerField(
            ("apps", "StatefulSet"),
            f"/spec/volumeClaimTemplates/*/{name}",
            "kube-apiserver: defaults of the claim template",
            "gitops-engine/pkg/diff/diff.go statefulSetWorkaround",
            value,
        )
        for name, value in (
            ("status", {"phase": "Pending"}),
            ("spec/volumeMode", "Filesystem"),
            ("apiVersion", "v1"),
            ("kind", "PersistentVolumeClaim"),
        )
    ),
    ControllerField(
        ("", "ServiceAccount"),
        "/secrets",
        "the token controller of clusters before 1.24",
        "kubernetes pkg/controller/serviceaccount/tokens_controller.go",
        [{"name": "x-token-abcde"}],
    ),
)


def _matches(field: ControllerField, manifest: Manifest, everything: list[Manifest]) -> bool:
    kind_matches = field.kind == "*" or field.kind == _group_kind(manifest)
    return kind_matches and field.applies(manifest, everything)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _places(manifest: Manifest, tokens: list[str], create: bool) -> list[Any]:
    """What ``tokens`` reach ("*": every list item); ``create`` makes missing maps."""
    places: list[Any] = [manifest]
    for token in tokens:
        reached: list[Any] = []
        for place in places:
            if token == "*":
                reached.extend(place if isinstance(place, list) else [])
            elif isinstance(place, dict):
                key = _unescape(token)
                if create:
                    reached.append(place.setdefault(key, {}))
                elif key in place:
                    reached.append(place[key])
        places = reached
    return places


def _write(manifest: Manifest, field: ControllerField) -> None:
    *parents, last = field.pointer.lstrip("/").split("/")
    if last == "-":  # an item appended to each list there
        *parents, name = parents
        for place in _places(manifest, parents, create=False):
            if isinstance(place, dict):
                place.setdefault(_unescape(name), []).append(copy.deepcopy(field.value))
        return
    for place in _places(manifest, parents, create=True):
        if isinstance(place, dict):
            place[_unescape(last)] = copy.deepcopy(field.value)


def written(manifest: Manifest, field: ControllerField) -> Manifest:
    """``manifest`` with only ``field`` written."""
    live = copy.deepcopy(manifest)
    _write(live, field)
    return live


def sets(manifest: Manifest, field: ControllerField) -> bool:
    """Whether Git's ``manifest`` itself sets what ``field``'s writer writes."""
    *parents, last = field.pointer.lstrip("/").split("/")
    if last == "-":
        lists = _places(manifest, parents, create=False)
        return any(
            isinstance(item, dict) and item.get("name") == field.value["name"]
            for items in lists
            if isinstance(items, list)
            for item in items
        )
    return bool(_places(manifest, [*parents, last], create=False))


def writers(manifest: Manifest, everything: list[Manifest]) -> list[ControllerField]:
    """The fields of ``CONTROLLER_FIELDS`` the cluster writes into ``manifest``."""
    return [field for field in CONTROLLER_FIELDS if _matches(field, manifest, everything)]


def live_object(manifest: Manifest, everything: list[Manifest]) -> Manifest:
    """``manifest`` as it reads back from the cluster once every writer of
    ``CONTROLLER_FIELDS`` wrote its field; a custom resource with its CRD's defaults filled
    in, as the API server stores it (structural defaulting, at every depth)."""
    live = defaulted(manifest) if is_custom(manifest) else copy.deepcopy(manifest)
    for field in writers(manifest, everything):
        _write(live, field)
    return live


def _remove_map_fields(config: Any, live: Any) -> Any:
    """gitops-engine/pkg/utils/json/json.go ``removeFields``: what of ``live`` ``config`` has."""
    if isinstance(config, dict) and isinstance(live, dict):
        return {
            key: _remove_map_fields(value, live[key]) if live[key] is not None else None
            for key, value in config.items()
            if key in live
        }
    if isinstance(config, list) and isinstance(live, list):
        return [
            _remove_map_fields(config[index], item) if index < len(config) else item
            for index, item in enumerate(live)
        ]
    return live


# Normalize (diff.go): creationTimestamp is dropped from both sides before the comparison.
_NORMALIZED = re.compile(r"^/metadata/creationTimestamp$")


def drift(config: Manifest, live: Manifest) -> list[str]:
    """The JSON pointers where Argo CD finds ``live`` out of sync with ``config`` (Git's)
    after a sync: every field Git sets that reads back otherwise."""
    builtin = not is_custom(config)
    return _drift(config, live, "", builtin)


def _drift(config: Any, live: Any, path: str, builtin: bool) -> list[str]:
    if _NORMALIZED.match(path):
        return []
    if isinstance(config, dict) and isinstance(live, dict):
        found = []
        for key, value in config.items():
            pointer = f"{path}/{key.replace('~', '~0').replace('/', '~1')}"
            if key not in live:
                found.append(pointer)
            else:
                found.extend(_drift(value, live[key], pointer, builtin))
        return found
    if isinstance(config, list) and isinstance(live, list):
        # Items' fields only the live object has are removed first (RemoveMapFields); for a
        # built-in kind the strategic merge keeps items only the live object has, for a custom
        # resource the list is one value of a JSON merge patch, and an extra item drifts.
        pruned = _remove_map_fields(config, live)
        if builtin:
            pruned = pruned[: len(config)]
        if len(pruned) != len(config):
            return [path]
        return [
            p
            for index, item in enumerate(config)
            for p in _drift(item, pruned[index], f"{path}/{index}", builtin)
        ]
    return [] if config == live else [path]
