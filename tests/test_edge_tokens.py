"""A JupyterHub API token reaches a user server through each edge, as the edge's synthesized
objects route and rewrite the request; the hub's user header never does.

The real JupyterHub, configurable-http-proxy and jupyterhub-singleuser run on 127.0.0.1 (the
dev app's hub settings); alice's server is started and the hub issues her an API token. The
edges cannot run here, so each request is shaped by a model of that edge, read from its
synthesized objects, then sent to the real processes:

- ``dev``'s VirtualService (``IstioIngress`` with CHProxy): the mesh model's route for the
  request (``tests/mesh/routing.py``: Istio 1.30.3's gateway rules), its
  ``headers.request.remove``, and whether the gateway's ext-authz policy checks it (on
  checked paths the provider's headers would replace the client's). Then to CHP.
- ``GatewayApiIngress``'s HTTPRoute: the rule by Gateway API v1.6.1's precedence and its
  RequestHeaderModifier (``tests/support/gateway_api_model.py``). Then to CHP.
- ``IstioProxy``: the VirtualService the hub writes for alice's route
  (``hub_runtime.virtual_services``: no request header operations), then the user pod's
  sidecar, whose EnvoyFilter removes headers at its port. Then straight to alice's server,
  as the gateway reaches the pod without a proxy in between.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import cdk8s
import pytest
import requests

from apps.dev import DevChart
from constructs_lib import (
    GatewayApiIngress,
    GatewayRef,
    IstioIngress,
    IstioProxy,
    IstioProxyOptions,
)
from hub_runtime.preview import render_user_objects
from tests.mesh.authz import Request
from tests.mesh.hops import check_ingress
from tests.mesh.objects import Mesh, selects
from tests.support.builders import make_chart, make_jupyterhub
from tests.support.constants import GATEWAY_POD, HOSTS
from tests.support.gateway_api_model import removed_headers, rule_for
from tests.support.manifests import ROOT, read_manifests
from tests.support.processes import Deployment, deployment
from tests.support.virtual_services import hub_writer, written_virtual_services

pytestmark = pytest.mark.slow  # real hub, proxy and user server processes

USER = "alice"
PATH = f"/user/{USER}/api/status"
CLUSTER = ROOT / "analysis" / "cluster-environment.yaml"
# The hub's user header, as a client (or a user server's owner) might forge it.
FORGED = {"X-Auth-Request-User": "admin"}
# The e2e service may issue tokens for users (its role lacks the scope by default).
EXTRA_CONFIG = 'c.JupyterHub.load_roles[-1]["scopes"].append("tokens")\n'


@dataclass(frozen=True)
class Running:
    hub: Deployment
    token: str
    server_url: str  # alice's server itself, where CHP sends /user/alice/


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    workdir = tmp_path_factory.mktemp("tokens")
    with deployment(workdir, None, extra_config=EXTRA_CONFIG) as hub:
        hub.start_server(USER)
        response = hub.api("POST", f"/users/{USER}/tokens", json={"note": "remote kernel"})
        assert response.status_code == 201, (response.status_code, response.text)
        routes = hub.routes()
        yield Running(hub, response.json()["token"], routes[f"/user/{USER}"]["target"])


def _send(
    url: str,
    host: str,
    headers: dict[str, str],
    method: str = "GET",
    path: str = PATH,
    **kwargs: Any,
) -> requests.Response:
    return requests.request(
        method,
        f"{url}{path}",
        headers={"Host": host, **headers},
        allow_redirects=False,
        timeout=60,
        **kwargs,
    )


def _pass(headers: dict[str, str], removed: set[str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() not in removed}


def _client_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}", **FORGED}


def test_without_the_token_the_server_refuses(running: Running) -> None:
    """The control: the server answers 200 only for the token (else it sends the client to
    the hub's OAuth), so the edges' tests below see the header arrive."""
    response = _send(running.hub.proxy_url, HOSTS[0], {})
    assert response.status_code in (302, 403), response.status_code
    assert _send(running.hub.proxy_url, HOSTS[0], _client_headers(running.token)).ok


def test_through_devs_virtual_service(running: Running) -> None:
    chart = DevChart(cdk8s.Testing.app(), "dev")
    mesh = Mesh.of(list(cdk8s.Testing.synth(chart)), read_manifests(CLUSTER.parent))
    (gateway,) = mesh.gateways
    pod = next(w for w in mesh.workloads if selects(gateway.selector, w.labels))
    # The browser's name for it: the server host less its namespace part.
    host = gateway.servers[0].hosts[0].rpartition("/")[2]
    port = next(s.port for s in gateway.servers if not s.https_redirect)
    verdict = check_ingress(mesh, pod, Request("GET", host, PATH), port)
    assert verdict.allowed and verdict.service is not None, verdict.reason
    assert verdict.service.name == chart.jupyterhub.proxy.name
    assert verdict.checked_by == (), "the provider does not check user paths"
    forwarded = _pass(_client_headers(running.token), set(verdict.removed_headers))
    assert "X-Auth-Request-User" not in forwarded
    response = _send(running.hub.proxy_url, host, forwarded)
    assert response.status_code == 200, (response.status_code, response.headers)
    assert "started" in response.json()


def test_a_remote_kernel_starts_and_stops_through_devs_virtual_service(running: Running) -> None:
    """A remote-kernel client (token, no browser): POST takes the VirtualService's route for
    other methods, DELETE the idempotent one; each passes the token."""
    chart = DevChart(cdk8s.Testing.app(), "dev")
    mesh = Mesh.of(list(cdk8s.Testing.synth(chart)), read_manifests(CLUSTER.parent))
    (gateway,) = mesh.gateways
    pod = next(w for w in mesh.workloads if selects(gateway.selector, w.labels))
    # The browser's name for it: the server host less its namespace part.
    host = gateway.servers[0].hosts[0].rpartition("/")[2]
    port = next(s.port for s in gateway.servers if not s.https_redirect)
    kernels = f"/user/{USER}/api/kernels"

    def through(method: str, path: str, **kwargs: Any) -> requests.Response:
        verdict = check_ingress(mesh, pod, Request(method, host, path), port)
        assert verdict.allowed and verdict.checked_by == (), verdict.reason
        forwarded = _pass(_client_headers(running.token), set(verdict.removed_headers))
        return _send(running.hub.proxy_url, host, forwarded, method, path, **kwargs)

    started = through("POST", kernels, json={"name": "python3"})
    assert started.status_code == 201, (started.status_code, started.text[:300])
    stopped = through("DELETE", f"{kernels}/{started.json()['id']}")
    assert stopped.status_code == 204, (stopped.status_code, stopped.text[:300])


def test_through_the_http_route(running: Running) -> None:
    chart = make_chart()
    jupyterhub = make_jupyterhub(chart)
    route = GatewayApiIngress(
        chart, "Route", jupyterhub=jupyterhub, gateway=GatewayRef("public", "gateways")
    )
    http_route = next(m for m in cdk8s.Testing.synth(chart) if m["kind"] == "HTTPRoute")
    rule = rule_for(http_route, PATH)
    assert rule["backendRefs"][0]["name"] == route.proxy.service.name
    forwarded = _pass(_client_headers(running.token), removed_headers(rule))
    assert "X-Auth-Request-User" not in forwarded
    response = _send(running.hub.proxy_url, HOSTS[0], forwarded)
    assert response.status_code == 200, (response.status_code, response.headers)


def _istio_proxy_mesh() -> tuple[Mesh, Any, Any, IstioProxy]:
    chart = make_chart()
    jupyterhub = make_jupyterhub(chart, proxy_options=IstioProxyOptions())
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub, ext_authz_provider="oauth2-proxy")
    proxy = jupyterhub.proxy
    assert isinstance(proxy, IstioProxy)
    settings = jupyterhub.hub.settings
    default = next(p.slug for p in settings.profiles if p.default)
    user_objects = render_user_objects(
        settings, namespace="jupyterhub", user=USER, admin=False, profile=default
    )
    for manifest in user_objects:
        manifest.setdefault("apiVersion", "v1")
    (service,) = [m for m in user_objects if m["kind"] == "Service"]
    target = f"http://{service['metadata']['name']}:{settings.spawner.port}"
    (written,) = written_virtual_services(
        hub_writer(jupyterhub), [(f"/user/{USER}/", target, {"user": USER, "server_name": ""})]
    )
    mesh = Mesh.of(list(cdk8s.Testing.synth(chart)), user_objects, [written, GATEWAY_POD])
    return mesh, mesh.workload({"istio": "ingressgateway"}), settings, proxy


def test_through_the_istio_proxys_routes(running: Running) -> None:
    mesh, gateway, settings, _ = _istio_proxy_mesh()
    verdict = check_ingress(mesh, gateway, Request("GET", HOSTS[0], PATH), 80)
    assert verdict.allowed and verdict.destination is not None, verdict.reason
    assert verdict.destination.kind == "Pod", verdict.reason
    assert verdict.checked_by == ()
    removed = set(verdict.removed_headers) | mesh.removed_headers(
        verdict.destination, settings.spawner.port
    )
    forwarded = _pass(_client_headers(running.token), removed)
    assert "X-Auth-Request-User" not in forwarded
    response = _send(running.server_url, HOSTS[0], forwarded)
    assert response.status_code == 200, (response.status_code, response.headers)


def test_a_request_straight_to_the_server_needs_the_token_too(running: Running) -> None:
    """The control for the direct hop: alice's server refuses the same request without it."""
    response = _send(running.server_url, HOSTS[0], dict(FORGED))
    assert response.status_code in (302, 403), response.status_code
