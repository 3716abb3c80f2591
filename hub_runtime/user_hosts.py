"""Per-user hosts: JupyterHub's ``subdomain_host`` with the hub on a host of its own.

JupyterHub puts a user's server at ``subdomain_hook(name, domain)`` with ``domain`` the
host of ``public_url`` (``JupyterHub._domain_default``), and sends browsers to the hub at
``public_url``'s host (``init_hub``: the ``public_host`` that spawners pass on as
``JUPYTERHUB_HOST``). The hook here names the user servers' domain instead, so the hub can
be ``hub.example.org`` and the servers ``<name>.users.example.org`` (or ``<name>.hub.example.org``):
the idna hook's names (JupyterHub 5), under the configured wildcard."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from hub_runtime.settings import UserHostSettings

__all__ = ["apply_user_hosts", "user_domain"]


def user_domain(hosts: UserHostSettings) -> str:
    """The domain the servers' hosts are one label under: the wildcard without ``*.``."""
    host = urlsplit(hosts.user_url.replace("*.", "wildcard.", 1)).hostname or ""
    return host.removeprefix("wildcard.")


def apply_user_hosts(c: Any, hosts: UserHostSettings) -> None:
    from jupyterhub.utils import subdomain_hook_idna

    domain = user_domain(hosts)
    parts = urlsplit(hosts.user_url.replace("*.", "", 1))
    hub = c.JupyterHub
    # The scheme and port of every server's URL come from subdomain_host (User.host).
    hub.subdomain_host = f"{parts.scheme}://{parts.netloc}"
    hub.public_url = hosts.hub_url.rstrip("/") + "/"

    def subdomain_hook(name: str, _hub_domain: str, kind: str) -> str:
        return str(subdomain_hook_idna(name, domain, kind))

    hub.subdomain_hook = subdomain_hook
