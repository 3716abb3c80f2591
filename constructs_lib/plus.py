"""Adapters between these constructs and cdk8s-plus-28 (``kplus``), for apps that use both.

Opt-in: ``import constructs_lib`` does not load this module or cdk8s-plus-28; import it
(``from constructs_lib import plus``) and install the ``plus`` extra.

- :func:`proxy_backend`: a kplus ``IngressBackend`` to the proxy's public port, for a kplus
  ``Ingress`` in front of the hub.
- :func:`hub_pods`, :func:`proxy_pods`, :func:`user_pods`: the components' pods as kplus
  ``Pods``, for NetworkPolicy peers and selectors.
- :func:`service_account`: a service account these constructs create (``hub.service_account``,
  ``proxy.service_account``, ``jupyterhub.user_service_account``) as a kplus
  ``IServiceAccount``, a subject for a kplus ``RoleBinding``.
- :func:`proxy_token`: a kplus ``Secret`` (or ``Secret.from_secret_name``) as the proxy token.
- :func:`user_service_account`: a kplus ``ServiceAccount`` for the user pods
  (``HubStatefulSet(user_service_account=...)``).
"""

from __future__ import annotations

from collections.abc import Mapping

import cdk8s
import cdk8s_plus_28 as kplus
from constructs import Construct

from constructs_lib._core._errors import invalid
from constructs_lib._core.header_trust import refuse_unenforced
from constructs_lib._core.proxy_token import TOKEN_ENV, ProxyToken
from constructs_lib._hub.hub import HubStatefulSet
from constructs_lib._proxies._proxy_checks import ingress_target
from constructs_lib._proxies.interfaces import IProxy

__all__ = [
    "PlusSecretToken",
    "hub_pods",
    "proxy_backend",
    "proxy_pods",
    "proxy_token",
    "service_account",
    "user_pods",
    "user_service_account",
]


def proxy_backend(proxy: IProxy) -> kplus.IngressBackend:
    """The proxy's ``ingress_target`` (CHProxy's public port), as a kplus ``IngressBackend``.

    Every request goes to the proxy, which routes ``/hub`` to the hub and the rest to user
    servers: give it the hosts of the hub's ``public_hosts``
    (``kplus.Ingress(..., rules=[kplus.IngressRule(host=..., backend=proxy_backend(proxy))])``).
    """
    target = ingress_target("proxy_backend", proxy)
    refuse_unenforced(
        "proxy_backend",
        proxy.hub,
        "a Kubernetes Ingress to the proxy checks nothing, and the proxy passes a client's "
        "own user header to the hub's login",
    )
    # kplus builds a Service backend only from a kplus Service, and has no reference to an
    # existing one: this stand-in, with the proxy Service's name and public port, lives in an
    # app of its own that is never synthesized, so it adds no object to yours.
    stand_in = kplus.Service(
        cdk8s.Chart(cdk8s.App(), "ProxyServiceReference"),
        "Service",
        metadata=cdk8s.ApiObjectMetadata(name=target.service_name),
        ports=[kplus.ServicePort(port=target.port, name=target.port_name)],
    )
    return kplus.IngressBackend.from_service(stand_in, port=target.port)


def _pods(scope: Construct, id: str, labels: Mapping[str, str]) -> kplus.Pods:
    return kplus.Pods.select(scope, id, labels=dict(labels))


def hub_pods(scope: Construct, id: str, hub: HubStatefulSet) -> kplus.Pods:
    """The hub's pod, selected by its selector labels (``hub.labels``)."""
    return _pods(scope, id, hub.labels)


def proxy_pods(scope: Construct, id: str, proxy: IProxy) -> kplus.Pods:
    """The proxy's pods, selected by their selector labels (``proxy.labels``)."""
    return _pods(scope, id, proxy.labels)


def user_pods(scope: Construct, id: str, hub: HubStatefulSet) -> kplus.Pods:
    """Every user server the hub spawns, selected by ``hub.user_pod_labels``."""
    return _pods(scope, id, hub.user_pod_labels)


def service_account(scope: Construct, id: str, account: cdk8s.ApiObject) -> kplus.IServiceAccount:
    """A ServiceAccount these constructs create, as a kplus ``IServiceAccount``: a subject for
    ``kplus.RoleBinding.add_subjects``, in the namespace of the account's chart (a binding
    names its subjects' namespace; kplus would otherwise say ``default``)."""
    if account.kind != "ServiceAccount":
        raise invalid(
            scope, "account", f"{account.kind}/{account.name}", "must be a ServiceAccount"
        )
    namespace = account.metadata.namespace
    if namespace is None:
        raise invalid(
            scope,
            "account",
            account.name,
            "must be in a chart with a namespace (a RoleBinding names its subject's "
            "namespace): cdk8s.Chart(..., namespace=...)",
        )
    return kplus.ServiceAccount.from_service_account_name(
        scope, id, account.name, namespace_name=namespace
    )


def user_service_account(account: kplus.ServiceAccount) -> cdk8s.ApiObject:
    """A kplus ``ServiceAccount`` for ``HubStatefulSet(user_service_account=...)``: user pods
    run as it. Its token is mounted only into pods whose profile asks for one, so create it
    with ``automount_token=False``."""
    return cdk8s.ApiObject.of(account)


class PlusSecretToken(ProxyToken):
    """The proxy token in one kplus Secret, read by both the hub and the proxy.

    A ``kplus.Secret`` the app creates must hold ``CONFIGPROXY_AUTH_TOKEN``; one referenced
    with ``kplus.Secret.from_secret_name`` is expected to exist in the cluster.
    """

    def __init__(self, secret: kplus.ISecret) -> None:
        self.secret = secret
        self.name = secret.name
        # A kplus Secret the app creates is deployed with it; an imported one is not.
        self._created = isinstance(secret, kplus.Secret)

    @property
    def secret_name(self) -> str:
        return self.name

    @property
    def external_secrets(self) -> frozenset[str]:
        return frozenset() if self._created else frozenset({self.name})


def proxy_token(secret: kplus.ISecret) -> ProxyToken:
    """A kplus Secret as the ``proxy_token`` of ``JupyterHub`` or ``HubStatefulSet``.

    A Secret the app creates must already hold the key ``CONFIGPROXY_AUTH_TOKEN`` (both the hub
    and the proxy read it as that environment variable).
    """
    if isinstance(secret, kplus.Secret) and secret.get_string_data(TOKEN_ENV) is None:
        raise invalid(
            secret,
            "string_data",
            sorted(_keys(secret)),
            f"must hold the key {TOKEN_ENV} (the hub and the proxy read it)",
        )
    return PlusSecretToken(secret)


def _keys(secret: kplus.Secret) -> list[str]:
    data = cdk8s.ApiObject.of(secret).to_json().get("stringData") or {}
    return list(data)
