"""Rules of the cluster's own machinery that the committed output must respect (SPEC 10)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest

import apps
from hub_runtime.config import origin_pattern
from tests.support.manifests import ROOT, read_manifests
from tests.support.processes import dev_settings

APP_NAMES = sorted(apps.APPS)


def _pod_specs(app: str) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """(object, pod spec, claim templates) of every workload and user-pod preview."""
    for folder in (ROOT / "dist" / app, ROOT / "dist" / f"{app}-preview"):
        for manifest in read_manifests(folder):
            name = f"{folder.name}: {manifest['kind']}/{manifest['metadata']['name']}"
            spec = manifest.get("spec", {})
            if manifest["kind"] == "Pod":
                yield name, spec, []
            elif "template" in spec and "containers" in spec["template"].get("spec", {}):
                yield name, spec["template"]["spec"], spec.get("volumeClaimTemplates", [])


@pytest.mark.parametrize("app", APP_NAMES)
def test_non_root_pods_can_write_their_claims(app: str) -> None:
    """A fresh PersistentVolume (EBS, PD, Azure Disk, Ceph RBD) is root:root 0755; only
    ``fsGroup`` makes the kubelet give a non-root pod's group write access to it (Kubernetes
    docs, "Configure a Security Context for a Pod or Container")."""
    checked = 0
    for name, pod, claims in _pod_specs(app):
        claimed = [c["metadata"]["name"] for c in claims] + [
            v["name"] for v in pod.get("volumes") or [] if "persistentVolumeClaim" in v
        ]
        if not claimed:
            continue
        checked += 1
        for container in pod["containers"]:
            uid = (container.get("securityContext") or {}).get(
                "runAsUser", (pod.get("securityContext") or {}).get("runAsUser")
            )
            if uid != 0:
                assert (pod.get("securityContext") or {}).get("fsGroup") is not None, (
                    f"{name}: container {container['name']} runs as uid {uid} and mounts "
                    f"{claimed} without fsGroup"
                )
    assert checked, f"{app}: no pod with a claim was checked"


@pytest.mark.parametrize("app", APP_NAMES)
def test_namespaces_are_selected_by_the_label_kubernetes_sets(app: str) -> None:
    """Kubernetes labels every namespace ``kubernetes.io/metadata.name`` (1.21+) and nothing
    else: a selector on any other namespace label matches nothing on a fresh cluster."""
    selectors = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "namespaceSelector" in node:
                selectors.append(node["namespaceSelector"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for manifest in read_manifests(ROOT / "dist" / app):
        if manifest["kind"] == "NetworkPolicy":
            walk(manifest["spec"])
    for selector in selectors:
        assert set(selector.get("matchLabels", {})) <= {"kubernetes.io/metadata.name"}, selector
        assert not selector.get("matchExpressions"), selector


@pytest.mark.parametrize("app", APP_NAMES)
def test_liveness_survives_a_stalled_event_loop(app: str) -> None:
    """The hub's (and CHP's) event loop stalls for seconds under load or a database upgrade;
    liveness must not restart them before minutes without an answer (z2jh: 30 x 10 s)."""
    checked = 0
    for manifest in read_manifests(ROOT / "dist" / app):
        component = manifest["metadata"].get("labels", {}).get("app.kubernetes.io/component")
        if manifest["kind"] not in ("StatefulSet", "Deployment") or component not in (
            "hub",
            "proxy",
        ):
            continue
        for container in manifest["spec"]["template"]["spec"]["containers"]:
            probe = container.get("livenessProbe")
            if probe is None:
                continue
            checked += 1
            # Kubernetes' defaults for fields left out: period 10 s, 3 failures, timeout 1 s.
            tolerated = probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)
            assert tolerated >= 300, (manifest["metadata"]["name"], tolerated)
            assert probe.get("timeoutSeconds", 1) >= 3, manifest["metadata"]["name"]
    assert checked == 2, f"{app}: expected the hub's and the proxy's liveness probes"


ORIGINS = [
    ("https://notebook.kaidotio.dev", True),
    ("http://notebook.kaidotio.dev", True),
    ("https://notebook.kaidotio.dev:8443", True),
    ("https://notebook.minikube.127.0.0.1.nip.io", True),
    ("https://notebook.kaidotio.dev.evil.example", False),
    ("https://evilnotebook.kaidotio.dev", False),
    ("https://notebookxkaidotio.dev", False),
    ("https://evil.example/notebook.kaidotio.dev", False),
    ("null", False),
    ("https://jupyterhub-hub:8081", False),
]


@pytest.mark.parametrize(("origin", "allowed"), ORIGINS)
def test_user_servers_accept_exactly_the_public_origins(origin: str, allowed: bool) -> None:
    """jupyter-server compares a request's Origin with its Host, else with
    ``allow_origin_pat`` (full match); the proxy now sends the Service's Host."""
    assert (re.fullmatch(origin_pattern(dev_settings()), origin) is not None) is allowed


def test_wildcard_public_host_allows_one_label() -> None:
    settings = dataclasses.replace(dev_settings(), public_hosts=("*.hub.example.org",))
    pattern = origin_pattern(settings)
    assert re.fullmatch(pattern, "https://team-a.hub.example.org")
    assert not re.fullmatch(pattern, "https://a.b.hub.example.org")
    assert not re.fullmatch(pattern, "https://hub.example.org")


@pytest.mark.parametrize(("app", "token"), [("minimal", False), ("dev", True)])
def test_user_pods_get_an_api_token_only_where_a_profile_asks(app: str, token: bool) -> None:
    """minimal's profiles ask for none; dev's reproduce the reference, which mounted it."""
    pods = [m for m in read_manifests(ROOT / "dist" / f"{app}-preview") if m["kind"] == "Pod"]
    assert pods
    for pod in pods:
        assert pod["spec"]["automountServiceAccountToken"] is token, pod["metadata"]["name"]
    (account,) = [
        m
        for m in read_manifests(ROOT / "dist" / app)
        if m["kind"] == "ServiceAccount" and m["metadata"]["name"] == "jupyterhub-singleuser-server"
    ]
    assert account["automountServiceAccountToken"] is False


def test_minimal_user_pods_meet_the_restricted_profile() -> None:
    """No host paths and no root init container by default: minimal's namespace enforces the
    Pod Security "restricted" level, which its user pods meet."""
    (namespace,) = [
        m for m in read_manifests(ROOT / "dist" / "minimal") if m["kind"] == "Namespace"
    ]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for pod in read_manifests(ROOT / "dist" / "minimal-preview"):
        if pod["kind"] != "Pod":
            continue
        assert not any("hostPath" in v for v in pod["spec"].get("volumes") or [])
        assert not pod["spec"].get("initContainers")
