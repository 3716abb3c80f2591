"""constructs_lib.plus: these constructs beside cdk8s-plus-28's, synthesized together."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import cdk8s
import cdk8s_plus_28 as kplus
import pytest

from constructs_lib import USER_PORT, CHProxy, JupyterHub, NotebookProfile, ProxyToken, plus
from hub_runtime.settings import SETTINGS_FILE_NAME
from tests.support.builders import find, make_bare_hub, make_jupyterhub, synth
from tests.support.commands import run
from tests.support.constants import HOSTS, TOKEN
from tests.support.manifests import ROOT


def _jupyterhub(chart: cdk8s.Chart, token: ProxyToken | None = None) -> JupyterHub:
    return make_jupyterhub(chart, mesh=None, proxy_token=token or TOKEN)


def _env_from(workload: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    return result


@pytest.mark.slow
def test_importing_the_library_and_synthesizing_does_not_load_cdk8s_plus(tmp_path: Path) -> None:
    code = (
        "import sys, cdk8s\n"
        "from constructs_lib import JupyterHub, HeaderTrust, ProxyToken\n"
        "app = cdk8s.App(outdir=sys.argv[1])\n"
        "chart = cdk8s.Chart(app, 'jupyterhub', namespace='jupyterhub')\n"
        "JupyterHub(chart, 'JupyterHub', hosts=['hub.example.org'], mesh=None,\n"
        "           header_trust=HeaderTrust.jwt_proof(issuer='https://auth.example.org',\n"
        "               audience='hub', jwks_url='https://auth.example.org/jwks'),\n"
        "           proxy_token=ProxyToken.from_existing_secret('proxy-token'))\n"
        "app.synth()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('cdk8s_plus', 'constructs_lib'))))\n"
    )
    loaded = run(
        [sys.executable, "-c", code, str(tmp_path / "dist")],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout.strip()
    assert "constructs_lib._hub.hub" in loaded
    assert "cdk8s_plus" not in loaded
    assert "constructs_lib.plus" not in loaded
    assert list((tmp_path / "dist").iterdir())


def test_kplus_ingress_backend_is_the_proxy_service_public_port(chart: cdk8s.Chart) -> None:
    hub = _jupyterhub(chart)
    kplus.Ingress(
        chart,
        "Ingress",
        rules=[kplus.IngressRule(host=HOSTS[0], backend=plus.proxy_backend(hub.proxy))],
    )
    manifests = synth(chart)
    (path,) = find(manifests, "Ingress")["spec"]["rules"][0]["http"]["paths"]
    assert path["backend"]["service"] == {"name": "jupyterhub-proxy", "port": {"number": 8080}}
    proxy_service = find(manifests, "Service", "jupyterhub-proxy")
    assert {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"} in (
        proxy_service["spec"]["ports"]
    )


def test_proxy_backend_adds_no_object(chart: cdk8s.Chart) -> None:
    hub = _jupyterhub(chart)
    before = synth(chart)
    plus.proxy_backend(hub.proxy)
    assert synth(chart) == before


def test_kplus_network_policy_selects_exactly_the_user_pods(chart: cdk8s.Chart) -> None:
    hub = _jupyterhub(chart)
    policy = kplus.NetworkPolicy(
        chart, "UsersFromProxy", selector=plus.user_pods(chart, "Users", hub.hub)
    )
    policy.add_ingress_rule(
        plus.proxy_pods(chart, "Proxies", hub.proxy), [kplus.NetworkPolicyPort.tcp(USER_PORT)]
    )
    policy.add_egress_rule(
        plus.hub_pods(chart, "Hub", hub.hub), [kplus.NetworkPolicyPort.tcp(hub.hub.port)]
    )
    spec = find(synth(chart), "NetworkPolicy")["spec"]
    assert spec["podSelector"] == {
        "matchLabels": {
            "app.kubernetes.io/name": "jupyterhub",
            "app.kubernetes.io/component": "singleuser-server",
        }
    }
    assert spec["podSelector"]["matchLabels"] == hub.hub.user_pod_labels
    assert spec["ingress"][0]["from"] == [{"podSelector": {"matchLabels": hub.proxy.labels}}]
    assert spec["egress"][0]["to"] == [{"podSelector": {"matchLabels": hub.hub.labels}}]


def test_kplus_role_binding_binds_the_hubs_service_account(chart: cdk8s.Chart) -> None:
    hub = _jupyterhub(chart)
    role = kplus.Role(chart, "ConfigReader")
    role.allow_read(kplus.ApiResource.CONFIG_MAPS)  # type: ignore[arg-type]  # jsii protocol
    binding = kplus.RoleBinding(chart, "HubReadsConfig", role=role)
    binding.add_subjects(plus.service_account(chart, "HubAccount", hub.hub.service_account))
    manifests = synth(chart)
    bound = next(
        m for m in manifests if m["kind"] == "RoleBinding" and m["roleRef"]["name"] == role.name
    )
    assert bound["subjects"] == [
        {
            "apiGroup": "",
            "kind": "ServiceAccount",
            "name": "jupyterhub-hub",
            "namespace": "jupyterhub",
        }
    ]
    assert find(manifests, "ServiceAccount", "jupyterhub-hub")


def test_kplus_secret_is_the_proxy_token(chart: cdk8s.Chart) -> None:
    secret = kplus.Secret(
        chart, "ProxyToken", string_data={"CONFIGPROXY_AUTH_TOKEN": "a-token-for-tests"}
    )
    token = plus.proxy_token(secret)
    _jupyterhub(chart, token)
    manifests = synth(chart)
    name = find(manifests, "Secret")["metadata"]["name"]
    assert _env_from(find(manifests, "StatefulSet")) == [{"secretRef": {"name": name}}]
    assert _env_from(find(manifests, "Deployment")) == [{"secretRef": {"name": name}}]
    # Created by the app, so nothing is expected to exist beforehand.
    assert token.external_secrets == frozenset()


def test_imported_kplus_secret_is_expected_to_exist(chart: cdk8s.Chart) -> None:
    token = plus.proxy_token(kplus.Secret.from_secret_name(chart, "Token", "vault-token"))
    _jupyterhub(chart, token)
    assert _env_from(find(synth(chart), "Deployment")) == [{"secretRef": {"name": "vault-token"}}]
    assert token.external_secrets == frozenset({"vault-token"})


def test_kplus_service_account_runs_the_user_pods(chart: cdk8s.Chart) -> None:
    account = kplus.ServiceAccount(chart, "Users", automount_token=False)
    profile = NotebookProfile(chart, "Lab", display_name="Lab")
    hub = make_bare_hub(
        chart,
        profiles=[profile],
        user_service_account=plus.user_service_account(account),
    )
    CHProxy(chart, "Proxy", hub=hub)
    settings = json.loads(find(synth(chart), "ConfigMap")["data"][SETTINGS_FILE_NAME])
    assert settings["spawner"]["service_account"] == account.name


def test_fails_when_a_created_secret_lacks_the_token_key(chart: cdk8s.Chart) -> None:
    secret = kplus.Secret(chart, "ProxyToken", string_data={"token": "x"})
    with pytest.raises(ValueError) as error:
        plus.proxy_token(secret)
    assert str(error.value) == (
        "test/ProxyToken: string_data must hold the key CONFIGPROXY_AUTH_TOKEN (the hub and the "
        "proxy read it), got ['token']"
    )


def test_fails_when_the_account_has_no_namespace() -> None:
    chart = cdk8s.Chart(cdk8s.Testing.app(), "test")
    hub = _jupyterhub(chart)
    with pytest.raises(ValueError) as error:
        plus.service_account(chart, "HubAccount", hub.hub.service_account)
    assert str(error.value) == (
        "test: account must be in a chart with a namespace (a RoleBinding names its subject's "
        "namespace): cdk8s.Chart(..., namespace=...), got 'jupyterhub-hub'"
    )


def test_fails_when_the_account_is_not_a_service_account(chart: cdk8s.Chart) -> None:
    hub = _jupyterhub(chart)
    with pytest.raises(ValueError) as error:
        plus.service_account(chart, "HubAccount", hub.hub.service)
    assert str(error.value) == (
        "test: account must be a ServiceAccount, got 'Service/jupyterhub-hub'"
    )
