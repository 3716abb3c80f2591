"""The ``dev`` app's edge by Istio's host rules: its Gateway, VirtualService and
AuthorizationPolicies, as synthesized, evaluated by the mesh model (``tests/mesh``) for
requests whose Host carries no port, the port of the listener, another port, or other case.

The rules, from Istio 1.30.3's source (the version of ``crds/istio.yaml``):

- The gateway's route configuration sets ``ignore_port_in_host_matching`` (pilot/pkg/
  networking/core/gateway.go, ``buildGatewayHTTPRouteConfig``): ``Host: h:443`` reaches the
  virtual host of ``h``, whichever port it names (Istio's own simulation,
  ``matchVirtualHost`` in pilot/pkg/simulation/traffic.go, splits the port off first).
  Gateway server hosts and VirtualService hosts are DNS names, ``*.suffix`` a wildcard,
  compared in lower case (``strings.ToLower`` on each host there).
- An AuthorizationPolicy's ``hosts`` match the ``:authority`` header as it is, port included
  (``hostGenerator`` in pilot/pkg/security/authz/model/generator.go builds
  ``matcher.HostMatcher(":authority", value)``; pilot/pkg/security/authz/matcher/header.go:
  exact, ``*`` presence, ``abc*`` prefix, ``*abc`` suffix, each case-insensitive).

So a policy that lists ``h`` alone lets ``Host: h:443`` be routed without its check; the
CUSTOM (ext-authz) policy must list ``h`` and ``h:*`` (istio.io/v1.30/docs/ops/
best-practices/security/, "Host match policies").
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import cdk8s
import pytest

from apps.dev import DevChart
from tests.mesh.authz import Request
from tests.mesh.hops import Verdict, check_ingress
from tests.mesh.objects import Mesh, Workload, selects
from tests.support.manifests import ROOT, read_manifests

CLUSTER = ROOT / "analysis" / "cluster-environment.yaml"
HUB_PATHS = ("/hub", "/hub/login", "/hub/api/users", "/hub/oauth2/callback", "/hub/spawn")
USER_PATHS = ("/user/alice/lab", "/user/alice/api/kernels", "/")


@functools.cache
def _dev_manifests() -> tuple[dict[str, Any], ...]:
    return tuple(cdk8s.Testing.synth(DevChart(cdk8s.Testing.app(), "dev")))


@functools.cache
def _dev() -> tuple[Mesh, Workload, Any, str]:
    mesh = Mesh.of(_dev_manifests(), read_manifests(CLUSTER.parent))
    (gateway,) = mesh.gateways
    pod = next(w for w in mesh.workloads if selects(gateway.selector, w.labels))
    (policy,) = [p for p in mesh.policies if p.action == "CUSTOM"]
    return mesh, pod, gateway, policy.name


def _served(gateway: Any) -> list[tuple[str, int]]:
    """Each hub host and port on which the Gateway routes HTTP (not only redirects); the
    user servers' wildcard is :func:`_user_hosts`'."""
    return [
        (host, server.port)
        for server in gateway.servers
        if not server.https_redirect
        for host in _names(server.hosts)
        if not host.startswith("*.")
    ]


def _names(hosts: tuple[str, ...]) -> list[str]:
    """A Gateway server's hosts without their namespace part."""
    return [host.rpartition("/")[2] for host in hosts]


def _user_hosts(gateway: Any) -> list[tuple[str, int]]:
    """A host of the user servers' wildcard (Alice's) and each port the Gateway routes."""
    return [
        (host.replace("*", "alice", 1), server.port)
        for server in gateway.servers
        if not server.https_redirect
        for host in _names(server.hosts)
        if host.startswith("*.")
    ]


def _variants(host: str, port: int) -> list[str]:
    return [
        host,
        f"{host}:{port}",
        f"{host}:8443",
        f"{host}:1",
        host.upper(),
        f"{host.upper()}:{port}",
    ]


def _through(request: Request, port: int) -> Verdict:
    mesh, pod, _, _ = _dev()
    # Istio's gateway chart listens on the Service's ports; istioctl's install behind them
    # on 8080/8443 (IstioTls): the check must hold on both.
    verdicts = [check_ingress(mesh, pod, request, port, listening) for listening in (port, 8443)]
    assert verdicts[0].checked_by == verdicts[1].checked_by, verdicts
    return verdicts[0]


@pytest.mark.parametrize("path", HUB_PATHS)
def test_every_host_form_that_reaches_the_hub_paths_is_checked(path: str) -> None:
    """Whatever port (or case) the Host carries, a request routed to the hub's paths goes
    through the ext-authz provider first."""
    _, _, gateway, policy = _dev()
    unchecked = []
    for host, port in _served(gateway):
        for variant in _variants(host, port):
            verdict = _through(Request("GET", variant, path), port)
            assert verdict.allowed, (variant, verdict.reason)  # routed: the port is ignored
            if verdict.checked_by != (policy,):
                unchecked.append(f"Host {variant!r} {path}: {verdict.reason}")
    assert not unchecked, "\n".join(unchecked)


@pytest.mark.parametrize("path", USER_PATHS)
def test_user_paths_are_not_sent_to_the_auth_provider(path: str) -> None:
    """User servers admit only JupyterHub's own OAuth: the provider checks the hub's paths
    alone, with or without a port."""
    _, _, gateway, _ = _dev()
    for host, port in _served(gateway):
        for variant in _variants(host, port):
            verdict = _through(Request("GET", variant, path), port)
            assert verdict.checked_by == (), (variant, path, verdict.reason)


def test_user_hosts_route_the_user_paths_alone_unchecked() -> None:
    """On a user server's own host the Gateway routes ``/user/…`` without the provider's
    check and refuses the hub's paths, so no request there reaches the hub's login."""
    _, _, gateway, _ = _dev()
    hosts = _user_hosts(gateway)
    assert hosts, gateway.servers
    for host, port in hosts:
        for variant in _variants(host, port):
            for path in ("/user/alice/lab", "/user/alice/api/kernels"):
                verdict = _through(Request("GET", variant, path), port)
                assert verdict.allowed and verdict.checked_by == (), (variant, path, verdict)
            for path in (*HUB_PATHS, "/"):
                verdict = _through(Request("GET", variant, path), port)
                assert not verdict.allowed and verdict.checked_by == (), (variant, path, verdict)


def test_other_hosts_are_neither_routed_nor_checked() -> None:
    """A host the Gateway does not serve is answered 404 without a check, even one that starts
    with a served host's name (``h:*`` is the prefix ``h:``, which ``h.evil.example`` lacks)."""
    _, _, gateway, _ = _dev()
    host, port = _served(gateway)[0]
    # A trailing dot is no domain at the gateway either: Istio 1.30.3 gateway.go
    # buildGatewayHTTPRouteConfig gives each virtual host the lower-cased hostnames alone.
    others = (f"{host}.evil.example", f"{host}.evil.example:{port}", f"x{host}", "evil")
    for other in (*others, f"{host}.", f"{host}.:{port}"):
        verdict = _through(Request("GET", other, "/hub/login"), port)
        assert not verdict.allowed and verdict.checked_by == (), (other, verdict.reason)


def test_the_policy_lists_each_host_with_and_without_a_port() -> None:
    mesh, _, gateway, policy = _dev()
    (custom,) = [p for p in mesh.policies if p.name == policy]
    hosts = custom.rules[0]["to"][0]["operation"]["hosts"]
    served = sorted({host for host, _ in _served(gateway)})
    assert sorted(hosts) == sorted([*served, *(f"{h}:*" for h in served)])


TENANT = "tenant"


def _with_tenant(gateway_hosts: Callable[[str], str]) -> tuple[Mesh, Workload]:
    """``dev`` with a tenant's Service and a VirtualService in the tenant's own namespace,
    made before the app's (Istio tries a host's VirtualServices in creation order), that
    names dev's Gateway and routes the hub's login and Alice's user host to the tenant;
    each Gateway server host as ``gateway_hosts`` gives it."""
    manifests = [dict(m) for m in _dev_manifests()]
    (gateway,) = [m for m in manifests if m["kind"] == "Gateway"]
    namespace, name = gateway["metadata"]["namespace"], gateway["metadata"]["name"]
    servers = gateway["spec"]["servers"]
    hub_host = _names(tuple(servers[0]["hosts"]))[0]
    user_host = next(h for h in _names(tuple(servers[0]["hosts"])) if h.startswith("*."))
    gateway["spec"] = {
        **gateway["spec"],
        "servers": [
            {**server, "hosts": [gateway_hosts(h) for h in server["hosts"]]} for server in servers
        ],
    }
    labels = {"app": TENANT}
    tenant = [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": TENANT, "namespace": TENANT},
            "spec": {"selector": labels, "ports": [{"name": "http", "port": 8080}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": TENANT, "namespace": TENANT, "labels": labels},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080}]}]},
        },
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": {"name": "takeover", "namespace": TENANT},
            "spec": {
                "gateways": [f"{namespace}/{name}"],
                "hosts": [hub_host, user_host.replace("*", "alice", 1)],
                "http": [
                    {
                        "match": [
                            {"uri": {"prefix": "/hub/login"}},
                            {"uri": {"prefix": "/user/alice/"}},
                        ],
                        "route": [
                            {
                                "destination": {
                                    "host": f"{TENANT}.{TENANT}.svc.cluster.local",
                                    "port": {"number": 8080},
                                }
                            }
                        ],
                    }
                ],
            },
        },
    ]
    mesh = Mesh.of(tenant, manifests, read_manifests(CLUSTER.parent))
    (gw,) = mesh.gateways
    return mesh, next(w for w in mesh.workloads if selects(gw.selector, w.labels))


@pytest.mark.parametrize(
    ("gateway_hosts", "tenant_routed"),
    [
        pytest.param(lambda host: host, False, id="as-synthesized"),
        # The Gateway's hosts before they named a namespace ("*/", any).
        pytest.param(lambda host: host.rpartition("/")[2], True, id="bare-hosts"),
    ],
)
def test_a_virtual_service_of_another_namespace_gets_no_traffic(
    gateway_hosts: Callable[[str], str], tenant_routed: bool
) -> None:
    """The Gateway's hosts are ``./<host>``: only VirtualServices of its own namespace (the
    hub's) bind to them, so a tenant's VirtualService that names the Gateway and the hub's
    host in its own namespace takes none of the hub's or a user's paths; with bare hosts
    (``*/``) it would take them (Istio 1.30.3: tests.mesh.routing ``_route_table``)."""
    mesh, pod = _with_tenant(gateway_hosts)
    (gateway,) = mesh.gateways
    port = next(s.port for s in gateway.servers if not s.https_redirect)
    hub_host = _names(gateway.servers[0].hosts)[0]
    user_host = next(h for h in _names(gateway.servers[0].hosts) if h.startswith("*."))
    for host, path in (
        (hub_host, "/hub/login"),
        (user_host.replace("*", "alice", 1), "/user/alice/lab"),
    ):
        for method in ("GET", "POST"):
            verdict = check_ingress(mesh, pod, Request(method, host, path), port)
            reached = verdict.destination.name if verdict.destination else None
            assert verdict.allowed, (host, path, method, verdict.reason)
            assert (reached == TENANT) == tenant_routed, (host, path, method, verdict.reason)
