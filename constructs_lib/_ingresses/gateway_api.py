"""A Gateway API HTTPRoute to the proxy: JupyterHub behind any Gateway API implementation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived, resolve
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import APP_LABEL, check_dns_label, check_dns_subdomain
from constructs_lib._core.header_trust import refuse_unenforced
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._hub.hub import HUB_PATH_PREFIX
from constructs_lib._hub.network_policy import resolve_proxy
from constructs_lib._ingresses.auth_ingress import USER_PATH
from constructs_lib._ingresses.certificate import HubCertificate
from constructs_lib._ingresses.edge_tls import check_tls
from constructs_lib._ingresses.tls import TlsSecret
from constructs_lib._proxies._proxy_checks import ingress_target
from constructs_lib._proxies.interfaces import IJupyterHub, IProxy
from hub_runtime.frozen import frozen

__all__ = ["GATEWAY_NAME_LABEL", "GatewayApiIngress", "GatewayRef"]

GATEWAY_API_GROUP = "gateway.networking.k8s.io"
# The label a Gateway API implementation puts on the pods it deploys for a Gateway (GEP-1762,
# "In-cluster Gateway deployments"): Istio's automated deployment sets it, for instance.
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
# Gateway API's PathPrefix matches whole path elements and ignores a trailing "/": "/hub"
# matches /hub and /hub/…, never /hubx.
_HUB_PATH = HUB_PATH_PREFIX.rstrip("/")


@frozen
class GatewayRef:
    """A Gateway API ``Gateway`` routes attach to (created and run outside the app).

    ``section_name`` names one of its listeners (``None``: every listener that admits the
    route). A Gateway in another namespace than the route admits it only if that listener's
    ``allowedRoutes.namespaces`` lets the route's namespace in (``from: All``, or
    ``Selector`` matching it): the Gateway's default, ``from: Same``, refuses it.
    """

    name: str
    namespace: str
    section_name: str | None = None


class GatewayApiIngress(LibraryConstruct):
    """An HTTPRoute (``gateway.networking.k8s.io/v1``) attaching ``hosts`` to a Gateway and
    sending them to the proxy's public port: the alternative to ``AuthProxyIngress`` and
    ``IstioIngress`` for any Gateway API implementation (Istio, Envoy Gateway, Cilium...).

    Two rules, as the other edges: ``hub``, ``/hub`` (PathPrefix: ``/hub`` and ``/hub/…``),
    goes to the proxy as it came, so the user header and ID token an auth filter sets reach
    the hub; ``other``, every other path, has a ``RequestHeaderModifier`` filter that removes
    the hub's user header, so no user server receives one. ``Authorization`` passes there:
    it is the client's own (a JupyterHub API token for a server's API or a remote kernel).
    The route does not authenticate by itself: attach the auth filter to its ``hub`` rule
    only (e.g. Envoy Gateway's ``SecurityPolicy`` with ``targetRefs`` naming this HTTPRoute
    and ``sectionName: hub``, Istio's CUSTOM AuthorizationPolicy on the hub's paths); on the
    whole Gateway it would replace a client's ``Authorization`` on user paths with its own
    ID token, and hand that to every user server's owner.

    The route lives in the app's namespace (the chart's) unless ``route_namespace`` says
    otherwise. A backendRef to a Service of the route's own namespace needs no ReferenceGrant;
    with the route elsewhere, a ReferenceGrant in the app's namespace lets routes of
    ``route_namespace`` reach exactly the proxy's Service.

    Args:
        proxy: the proxy (any ``IProxy``, with its hub) the route sends to; or
        jupyterhub: the composite whose proxy that is (give one of the two).
        gateway: the Gateway the route attaches to (name, namespace, optional listener).
        hosts: the route's ``hostnames``; default ``Derived.FROM_HUB``, the hub's
            ``public_hosts``.
        gateway_pods: the gateway's pods, for NetworkPolicies
            (``HubNetworkPolicies(ingress_from=route.gateway_pods)``); default
            ``Derived.FROM_GATEWAY``: the pods labelled
            ``gateway.networking.k8s.io/gateway-name: <gateway name>`` in the Gateway's
            namespace (GEP-1762; Istio's). Envoy Gateway runs them in its own namespace with
            ``gateway.envoyproxy.io/owning-gateway-name``: pass those.
        route_namespace: where the HTTPRoute lives; default ``None``, the app's namespace.
        tls: the certificate the Gateway's HTTPS listeners serve these hosts with, a
            ``HubCertificate`` or ``TlsSecret`` (list its ``gateway_listeners()`` on the
            Gateway): checked to cover every host the routes name, the user servers' wildcard
            included (a listener's ``*.example.org`` admits routes of ``*.users.example.org``,
            a certificate's does not cover them); default ``None``, not known here.
    """

    proxy = Handle[IProxy]("The proxy the HTTPRoute sends requests to.")
    route = Handle[cdk8s.ApiObject]("The HTTPRoute (the default child).")
    user_route = Handle[cdk8s.ApiObject | None](
        "The HTTPRoute of the user servers' own hosts; ``None`` without the hub's user_hosts."
    )
    reference_grant = Handle[cdk8s.ApiObject | None](
        "The ReferenceGrant letting the route reach the proxy's Service; ``None`` when the "
        "route lives in the app's namespace."
    )

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        gateway: GatewayRef,
        proxy: IProxy | None = None,
        # The same as proxy=jupyterhub.proxy.
        jupyterhub: IJupyterHub | None = None,
        # None: the hub's public hosts.
        hosts: Sequence[str] | Derived = Derived.FROM_HUB,
        # None: the Gateway's pods by the GEP-1762 label, in its namespace.
        gateway_pods: NetworkPeer | Derived = Derived.FROM_GATEWAY,
        # None: the app's namespace, the proxy Service's.
        route_namespace: str | None = None,
        # None: the Gateway's listeners' certificate is not known here.
        tls: TlsSecret | HubCertificate | None = None,
    ) -> None:
        super().__init__(scope, id)
        chosen = resolve_proxy(self, proxy, jupyterhub)
        target = ingress_target(self, chosen)
        refuse_unenforced(
            self,
            chosen.hub,
            "the HTTPRoute checks nothing itself (an auth filter, if any, is the Gateway's, "
            "outside this app), and NetworkPolicies let user servers (which need the hub's "
            "API) reach every path of the hub's port",
        )
        self.hosts = chosen.hub.ingress_hosts(self, hosts)
        user_hosts = chosen.hub.user_hosts
        if tls is not None and not isinstance(tls, TlsSecret | HubCertificate):
            raise invalid(
                self,
                "tls",
                tls,
                "must be a TlsSecret or a HubCertificate (the listeners' certificate and the "
                "hosts it covers)",
            )
        check_tls(
            self, "tls", tls, [*self.hosts, *((user_hosts,) if user_hosts else ())], user_hosts
        )
        self.tls = tls
        if not isinstance(gateway, GatewayRef):
            raise invalid(self, "gateway", gateway, "must be a GatewayRef(name, namespace)")
        check_dns_subdomain(self, "gateway.name", gateway.name)
        check_dns_label(self, "gateway.namespace", gateway.namespace)
        if gateway.section_name is not None:
            check_dns_subdomain(self, "gateway.section_name", gateway.section_name)
        if route_namespace is not None:
            check_dns_label(self, "route_namespace", route_namespace)
        app_namespace = cdk8s.Chart.of(self).namespace
        if route_namespace is not None and app_namespace is None:
            raise invalid(
                self,
                "namespace",
                None,
                "must be set on the chart when route_namespace is: the route names the "
                "Service's namespace",
            )
        self.gateway = gateway
        self.gateway_pods = resolve(
            self,
            "gateway_pods",
            gateway_pods,
            Derived.FROM_GATEWAY,
            lambda: NetworkPeer.in_namespace(gateway.namespace, {GATEWAY_NAME_LABEL: gateway.name}),
        )
        self.proxy = chosen
        hub = chosen.hub
        release = chosen.release
        labels = {APP_LABEL: release}
        elsewhere = route_namespace is not None and route_namespace != app_namespace
        self.route_namespace = route_namespace or app_namespace
        # Removed on every path but the hub's: the header the hub logs users in by. An auth
        # filter on the hub rule adds its ID token there only, so elsewhere Authorization is
        # the client's own and passes.
        self.auth_headers = (hub.user_header,)

        from constructs_lib._imports.io.k8s.networking import gateway as gw

        parent: dict[str, Any] = {
            "group": GATEWAY_API_GROUP,
            "kind": "Gateway",
            "name": gateway.name,
            "namespace": gateway.namespace,
        }
        if gateway.section_name is not None:
            parent["section_name"] = gateway.section_name
        backend = gw.HttpRouteSpecRulesBackendRefs(
            kind="Service",
            name=target.service_name,
            namespace=app_namespace if elsewhere else None,
            port=target.port,
        )

        def rule(name: str, prefix: str, remove: Sequence[str]) -> Any:
            return gw.HttpRouteSpecRules(
                name=name,
                matches=[
                    gw.HttpRouteSpecRulesMatches(
                        path=gw.HttpRouteSpecRulesMatchesPath(
                            type=gw.HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value=prefix
                        )
                    )
                ],
                filters=[
                    gw.HttpRouteSpecRulesFilters(
                        type=gw.HttpRouteSpecRulesFiltersType.REQUEST_HEADER_MODIFIER,
                        request_header_modifier=gw.HttpRouteSpecRulesFiltersRequestHeaderModifier(
                            remove=list(remove)
                        ),
                    )
                ]
                if remove
                else None,
                backend_refs=[backend],
            )

        self.route = gw.HttpRoute(
            self,
            "Resource",
            metadata=cdk8s.ApiObjectMetadata(
                name=release,
                labels=labels,
                namespace=route_namespace if elsewhere else None,
            ),
            spec=gw.HttpRouteSpec(
                parent_refs=[gw.HttpRouteSpecParentRefs(**parent)],
                hostnames=list(self.hosts),
                # Gateway API picks the longest matching prefix, whatever the rules' order.
                rules=[rule("hub", _HUB_PATH, ()), rule("other", "/", self.auth_headers)],
            ),
        )
        # Per-user hosts: a route of their own, for the user servers' paths only (the hub's
        # rule, where an auth filter attaches, stays on the hub's hosts).
        self.user_hosts = hub.user_hosts
        self.user_route = (
            None
            if self.user_hosts is None
            else gw.HttpRoute(
                self,
                "UserHosts",
                metadata=cdk8s.ApiObjectMetadata(
                    name=f"{release}-users",
                    labels=labels,
                    namespace=route_namespace if elsewhere else None,
                ),
                spec=gw.HttpRouteSpec(
                    parent_refs=[gw.HttpRouteSpecParentRefs(**parent)],
                    hostnames=[self.user_hosts],
                    rules=[rule("users", USER_PATH, self.auth_headers)],
                ),
            )
        )
        self.reference_grant = (
            None
            if not elsewhere
            else gw.ReferenceGrant(
                self,
                "ReferenceGrant",
                metadata=cdk8s.ApiObjectMetadata(
                    name=f"{release}-from-{route_namespace}", labels=labels
                ),
                spec=gw.ReferenceGrantSpec(
                    from_=[
                        gw.ReferenceGrantSpecFrom(
                            group=GATEWAY_API_GROUP, kind="HTTPRoute", namespace=route_namespace
                        )
                    ],
                    to=[
                        gw.ReferenceGrantSpecTo(group="", kind="Service", name=target.service_name)
                    ],
                ),
            )
        )
