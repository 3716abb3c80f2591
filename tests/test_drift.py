"""No permanent drift under Argo CD: two syntheses write the same bytes, and nothing the
cluster writes into the applied objects makes Argo CD find them out of sync (the model and the
list of those fields: tests/support/argocd_diff.py)."""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from apps import APPS
from constructs_lib import KubernetesVersion
from tests.support.argocd_diff import (
    CONTROLLER_FIELDS,
    drift,
    live_object,
    sets,
    writers,
    written,
)
from tests.support.commands import run
from tests.support.manifests import ROOT, read_manifests

APP_NAMES = sorted(APPS)
DEFAULT = str(KubernetesVersion.DEFAULT)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _synthesize(outdir: Path, seed: str, zone: str, site: Path | None = None) -> dict[str, bytes]:
    """``python -m apps`` in a process of its own: its own hash seed (set and dict order of
    str keys), time zone and working directory."""
    env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": zone, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "apps", "--outdir", str(outdir)]
    if site is not None:
        command += ["--app", "dev", "--site", str(site)]
    run(command, cwd=outdir.parent, env=env, timeout=600)
    return _files(outdir)


@pytest.mark.slow
def test_two_syntheses_write_the_same_bytes(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = _synthesize(tmp_path / "one" / "dist", "1", "UTC")
    second = _synthesize(tmp_path / "two" / "dist", "4242", "Pacific/Auckland")
    assert {name.split("/")[0] for name in first} == set(APP_NAMES)
    differ = sorted(
        name for name in first.keys() | second.keys() if first.get(name) != second.get(name)
    )
    assert differ == []
    # And the committed dist/ is that output.
    committed = {name: data for name, data in _files(ROOT / "dist").items() if name in first}
    assert sorted(committed) == sorted(first)
    assert [name for name in first if first[name] != committed[name]] == []


@pytest.mark.slow
def test_two_syntheses_with_an_application_write_the_same_bytes(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        yaml.safe_dump(
            {
                "identity_provider": {
                    "issuer": "https://login.uni.edu/realms/hub",
                    "audience": "hub",
                    "jwks_url": "https://login.uni.edu/realms/hub/certs",
                },
                "argocd": {"repo_url": "https://git.uni.edu/hub.git", "path": "site-dist/dev"},
            }
        )
    )
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = _synthesize(tmp_path / "one" / "out", "7", "UTC", site)
    second = _synthesize(tmp_path / "two" / "out", "99", "Asia/Kolkata", site)
    assert sorted(first) == [
        "dev-argocd/application.k8s.yaml",
        *sorted(n for n in first if n.startswith("dev/")),
    ]
    assert [name for name in first if first[name] != second[name]] == []


def _dist(name: str) -> list[dict[str, Any]]:
    return read_manifests(ROOT / "dist" / name)


@pytest.mark.parametrize("name", APP_NAMES)
def test_nothing_the_cluster_writes_drifts(name: str) -> None:
    manifests = _dist(name)
    found = {
        f"{m['kind']}/{m['metadata']['name']}": problems
        for m in manifests
        if (problems := drift(m, live_object(m, manifests)))
    }
    assert found == {}


@pytest.mark.parametrize("name", APP_NAMES)
def test_dist_sets_no_field_the_cluster_writes(name: str) -> None:
    manifests = _dist(name)
    found = [
        f"{m['kind']}/{m['metadata']['name']}: {field.pointer} (written by {field.writer})"
        for m in manifests
        for field in writers(m, manifests)
        if sets(m, field)
    ]
    assert found == []


def test_every_listed_field_reaches_an_object_of_dist() -> None:
    """The list is of what really meets these objects: each entry writes into one of them."""
    apps = [_dist(name) for name in APP_NAMES]
    reached = {
        (field.kind, field.pointer)
        for manifests in apps
        for m in manifests
        for field in writers(m, manifests)
        if written(m, field) != m
    }
    assert [f.pointer for f in CONTROLLER_FIELDS if (f.kind, f.pointer) not in reached] == []


# The model finds drift where Argo CD does.


def _deployment_and_hpa() -> list[dict[str, Any]]:
    manifests = _dist("dev")
    return [m for m in manifests if m["kind"] in ("Deployment", "HorizontalPodAutoscaler")]


def test_drift_replicas_set_in_git_under_an_hpa() -> None:
    manifests = _deployment_and_hpa()
    (hpa,) = [m for m in manifests if m["kind"] == "HorizontalPodAutoscaler"]
    target = hpa["spec"]["scaleTargetRef"]["name"]
    deployment = copy.deepcopy(
        next(m for m in manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == target)
    )
    deployment["spec"]["replicas"] = 1
    live = live_object(deployment, [deployment, *manifests])
    assert live["spec"]["replicas"] == 3
    assert drift(deployment, live) == ["/spec/replicas"]


def test_drift_a_value_the_cluster_rewrites() -> None:
    service = copy.deepcopy(next(m for m in _dist("dev") if m["kind"] == "Service"))
    service["spec"]["clusterIP"] = "10.0.0.1"
    assert drift(service, live_object(service, [service])) == ["/spec/clusterIP"]


def test_drift_an_item_added_to_a_custom_resource_list() -> None:
    external = next(m for m in _dist("dev") if m["kind"] == "ExternalSecret")
    live = copy.deepcopy(external)
    live["spec"]["data"].append({"secretKey": "X", "remoteRef": {"key": "kv/x"}})
    assert drift(external, live) == ["/spec/data"]


def test_no_drift_for_defaults_the_api_server_fills_into_custom_resources() -> None:
    external = next(m for m in _dist("dev") if m["kind"] == "ExternalSecret")
    live = live_object(external, [external])
    # external-secrets v2.9.0's CRD defaults (crds/external-secrets.yaml), filled in by the
    # stand-in as the API server does.
    assert live["spec"]["target"] == {
        **external["spec"]["target"],
        "creationPolicy": "Owner",
        "deletionPolicy": "Retain",
    }
    assert drift(external, live) == []


def test_no_drift_for_defaults_inside_a_custom_resource_list_item() -> None:
    external = next(m for m in _dist("dev") if m["kind"] == "ExternalSecret")
    live = copy.deepcopy(external)
    live["spec"]["data"][0]["remoteRef"]["conversionStrategy"] = "Default"
    # RemoveMapFields drops what the applied configuration does not have, item by item.
    assert drift(external, live) == []
