"""Per-user hosts: JupyterHub's ``subdomain_host`` with the hub on a host of its own.

JupyterHub puts a user's server at ``subdomain_hook(name, domain)`` with ``domain`` the
host of ``public_url`` (``JupyterHub._domain_default``), and sends browsers to the hub at
``public_url``'s host (``init_hub``: the ``public_host`` that spawners pass on as
``JUPYTERHUB_HOST``). The hook here names the user servers' domain instead, so the hub can
be ``hub.example.org`` and the servers ``<name>.users.example.org`` (or ``<name>.hub.example.org``):
the idna hook's names (JupyterHub 5), under the configured wildcard."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from hub_runtime.settings import UserHostSettings

__all__ = ["ORIGIN_ARG", "apply_user_hosts", "distinct_label", "own_origin_args", "user_domain"]

# The user server argument naming the browser Origins it accepts (hub_runtime.config's).
ORIGIN_ARG = "--ServerApp.allow_origin_pat="
# Hex digits of the name's SHA-256 in a hashed label: 96 bits, where JupyterHub 5's 7 (28
# bits) let a chosen name share another user's host, and so her origin, after about 2**28
# tries. ``u-`` + 8 characters + ``--`` + these stays well inside a 63-character label.
_HASH_DIGITS = 24
_HASHED = re.compile(r"u-.+--[0-9a-f]{7}")


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
        return distinct_label(name, str(subdomain_hook_idna(name, domain, kind)), kind)

    hub.subdomain_hook = subdomain_hook
    c.Spawner.pre_spawn_hook = _own_origin


def distinct_label(name: str, host: str, kind: str) -> str:
    """``host`` (the idna hook's) with its hashed user label's hash lengthened. JupyterHub's
    ``_strict_dns_safe_encode`` hashes every name it cannot use as it is (``--`` in it, or
    neither safe nor IDNA-encodable) into ``u-<stub>--<7 hex>`` (``_trim_and_hash``). No other
    label it makes has that form: a name kept as it is holds no ``--``, an IDNA one starts
    with ``xn--``."""
    label, dot, domain = host.partition(".")
    if kind != "user" or not _HASHED.fullmatch(label):
        return host
    stub = label[: label.rindex("--")]
    digest = hashlib.sha256(name.encode("utf8")).hexdigest()[:_HASH_DIGITS]
    return f"{stub}--{digest}{dot}{domain}"


def own_origin_args(args: Sequence[str], server_host: str) -> list[str]:
    """``args`` with the server's own host added to the Origins it accepts. The proxy sends
    each hop its target's Host (``--change-origin``), so the Origin of a page on the server's
    own host never equals the Host it sees; no other user's host is added, so a page on
    another server cannot open this one's websockets with its owner's cookies."""
    own = re.escape(server_host.lower())
    pattern = rf"^https?://({own})(:[0-9]+)?$"
    found = [arg for arg in args if arg.startswith(ORIGIN_ARG)]
    if found:
        # The hub's hosts stay: "^https?://(hosts)(:port)?$" gains "|own" in its group.
        prefix = f"{ORIGIN_ARG}^https?://("
        pattern = found[0].removeprefix(ORIGIN_ARG)
        if found[0].startswith(prefix):
            pattern = f"^https?://({own}|" + found[0].removeprefix(prefix)
    return [*(arg for arg in args if not arg.startswith(ORIGIN_ARG)), ORIGIN_ARG + pattern]


def _own_origin(spawner: Any) -> None:
    host = urlsplit(spawner.user.host).hostname or ""
    # This spawner's copy only: the configured arguments stay as they are for the others.
    spawner.args = own_origin_args(list(spawner.args), host)
