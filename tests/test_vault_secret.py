from __future__ import annotations

from typing import Any

import cdk8s
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    NotebookProfile,
    SecretStore,
    SecretStoreKind,
    VaultDelivery,
    VaultSecret,
)
from tests.support.builders import find, make_bare_hub, make_jupyterhub, synth, value_error


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    VaultSecret(chart, "Token")
    assert synth(chart) == snapshot_yaml


def test_one_secret_read_and_rolled_by_hub_and_proxy(chart: cdk8s.Chart) -> None:
    """One ExternalSecret, one Secret: the hub and every proxy replica read the same copy, and
    Reloader rolls both workloads when a rotation changes it (their env never changes)."""
    token = VaultSecret(chart, "Token")
    make_jupyterhub(chart, proxy_token=token)
    manifests = synth(chart)
    assert token.secret_name == "jupyterhub-proxy-token"
    targets = [m["spec"]["target"]["name"] for m in manifests if m["kind"] == "ExternalSecret"]
    assert targets == ["jupyterhub-proxy-token"]
    for kind in ("StatefulSet", "Deployment"):
        workload = find(manifests, kind)
        (container,) = workload["spec"]["template"]["spec"]["containers"][:1]
        assert container["envFrom"] == [{"secretRef": {"name": "jupyterhub-proxy-token"}}]
        annotations = workload["metadata"]["annotations"]
        assert annotations["secret.reloader.stakater.com/reload"] == "jupyterhub-proxy-token"


def test_kv2_path_becomes_mount_and_name(chart: cdk8s.Chart) -> None:
    assert VaultSecret(chart, "Token", path="/secret/data/team/hub").remote_key == (
        "secret/team/hub"
    )
    assert VaultSecret(chart, "V1", path="/kv1/hub").remote_key == "kv1/hub"


def test_namespaced_store_and_refresh(chart: cdk8s.Chart) -> None:
    VaultSecret(
        chart,
        "Token",
        store=SecretStore("team-vault", SecretStoreKind.SECRET_STORE),
        refresh_interval="15m",
    )
    spec = find(synth(chart), "ExternalSecret", "jupyterhub-proxy-token")["spec"]
    assert spec["secretStoreRef"] == {"kind": "SecretStore", "name": "team-vault"}
    assert spec["refreshInterval"] == "15m"


def test_kustomize_generator(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    token = VaultSecret(chart, "Token", delivery=VaultDelivery.KUSTOMIZE_GENERATOR)
    assert token.external_secrets == {"jupyterhub-proxy-token"}
    assert synth(chart) == snapshot_yaml


def test_hub_reads_the_vault_secret(chart: cdk8s.Chart) -> None:
    hub = make_bare_hub(
        chart, proxy_token=VaultSecret(chart, "Token"), profiles=[NotebookProfile(chart, "P")]
    )
    assert hub.proxy_token.secret_name == "jupyterhub-proxy-token"


def _error(chart: cdk8s.Chart, **props: Any) -> str:
    return value_error(lambda: VaultSecret(chart, "Token", **props))


def test_fails_without_key(chart: cdk8s.Chart) -> None:
    assert _error(chart, key="") == (
        "test/Token: key must be a Secret key: 1-253 letters, digits, '-', '_' or '.' "
        "(not '.' or '..'), got ''"
    )


def test_fails_path_without_secret(chart: cdk8s.Chart) -> None:
    assert _error(chart, path="/kv") == (
        "test/Token: path must be a Vault KV path like '/kv/data/jupyterhub' (mount and "
        "secret), got '/kv'"
    )


def test_fails_bad_refresh_interval(chart: cdk8s.Chart) -> None:
    assert _error(chart, refresh_interval="hourly") == (
        "test/Token: refresh_interval must be a duration such as '1h' or '15m', got 'hourly'"
    )
