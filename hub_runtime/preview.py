"""Render the objects DynamicKubeSpawner would create for a user, without a cluster.

KubeSpawner itself builds the manifests (``_mock=True``); its Kubernetes client only needs a
kube config to exist, so a throwaway one pointing at an unreachable loopback port is used.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar
from unittest.mock import Mock

from hub_runtime.settings import HubSettings

__all__ = ["UNREACHABLE_KUBECONFIG", "PreviewUser", "render_user_objects", "with_spawner"]

_T = TypeVar("_T")


def _kubeconfig(**cluster: str) -> str:
    """A kube config (JSON, so YAML too) whose API server nothing listens on: the previews
    never call the API. ``cluster``: more fields of its cluster."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:1", **cluster}}],
            "users": [{"name": "none", "user": {"token": "none"}}],
            "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
            "current-context": "none",
        }
    )


UNREACHABLE_KUBECONFIG = _kubeconfig()


@cache
def _preview_kubeconfig() -> str:
    """UNREACHABLE_KUBECONFIG with a CA of its own. Each API client (two a render) builds an
    SSL context for the server, and with no CA named that loads the system's whole store: a
    quarter of a render's time. The CA is a throwaway, as no request is ever sent."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "preview")])
    start = datetime(2000, 1, 1, tzinfo=UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = ca.public_bytes(serialization.Encoding.PEM)
    return _kubeconfig(**{"certificate-authority-data": base64.b64encode(pem).decode()})


class PreviewUser(Mock):
    """The slice of JupyterHub's User that KubeSpawner reads."""

    def __init__(self, name: str, admin: bool) -> None:
        from jupyterhub.objects import Server

        super().__init__()
        self.name = name
        self.admin = admin
        self.id = 1
        self.escaped_name = name.replace("/", "%2F")
        self.url = f"/user/{self.escaped_name}/"
        self.server = Server(base_url=self.url)
        # No other servers running (DynamicKubeSpawner checks them for a shared node).
        self.spawners: dict[str, Any] = {}


def with_spawner(
    settings: HubSettings,
    body: Callable[[Any], Awaitable[_T]],
    *,
    namespace: str,
    user: str,
    admin: bool,
    config: Any = None,
    server: str = "",
) -> _T:
    """``body``'s result on a DynamicKubeSpawner for ``user``'s ``server`` (``""``: the
    default one), configured by the hub runtime from ``settings`` as the hub configures it.
    ``config`` (already applied) may be shared by calls."""
    from kubernetes_asyncio.config import kube_config
    from traitlets.config import Config

    from hub_runtime.config import apply
    from hub_runtime.settings import dump_settings
    from hub_runtime.spawner import DynamicKubeSpawner

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "kubeconfig").write_text(_preview_kubeconfig())
        # Without the hub's own login: user pods do not depend on it, and its secrets and
        # identity provider are the cluster's, not the synthesizer's.
        (Path(tmp) / "settings.json").write_text(dump_settings(replace(settings, login=None)))
        previous = kube_config.KUBE_CONFIG_DEFAULT_LOCATION
        # kubernetes_asyncio reads KUBECONFIG once, at import: point it at the throwaway file.
        kube_config.KUBE_CONFIG_DEFAULT_LOCATION = str(Path(tmp) / "kubeconfig")
        environment = {settings.spawner.namespace_env: namespace}
        saved = {key: os.environ.get(key) for key in environment}
        os.environ.update(environment)
        try:
            if config is None:
                config = Config()
                apply(config, Path(tmp) / "settings.json")

            async def run() -> _T:
                # KubeSpawner binds its API client to the running loop.
                # A spawner reads its server's name from its database row.
                row = SimpleNamespace(name=server, server=None) if server else None
                spawner = DynamicKubeSpawner(
                    config=config,
                    user=PreviewUser(user, admin),
                    hub=_hub(settings),
                    orm_spawner=row,
                    _mock=True,
                )
                return await body(spawner)

            return asyncio.run(run())
        finally:
            kube_config.KUBE_CONFIG_DEFAULT_LOCATION = previous
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def render_user_objects(
    settings: HubSettings,
    *,
    namespace: str,
    user: str,
    admin: bool,
    profile: str,
    config: Any = None,
    server: str = "",
    choices: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The objects spawned for ``user``'s ``server`` (``""``: the default one) choosing
    ``profile`` and, within it, ``choices`` (option key to choice key; an option left out
    takes its default), as plain manifests: the pod, with per-user Services the Service, and
    the user's PersistentVolumeClaim where the profile mounts it (KubeSpawner creates it
    before the pod, unless it exists). ``config`` (already applied) may be shared by calls."""
    from kubernetes_asyncio.client import ApiClient

    async def render(spawner: Any) -> list[dict[str, Any]]:
        spawner.user_options = {"profile": profile, **(choices or {})}
        await spawner.load_user_options()
        async with ApiClient() as client:
            pod = client.sanitize_for_serialization(await spawner.get_pod_manifest())
            rendered: list[dict[str, Any]] = [pod]
            if spawner.per_user_service or spawner.services_enabled:
                rendered.append(client.sanitize_for_serialization(_service_manifest(spawner, pod)))
            if spawner.storage_pvc_ensure:
                rendered.append(client.sanitize_for_serialization(spawner.get_pvc_manifest()))
        for manifest in rendered:
            # At spawn the Service is owned by the pod, whose UID only the API knows.
            manifest["metadata"].pop("ownerReferences", None)
            manifest["metadata"]["namespace"] = namespace
        return rendered

    return with_spawner(
        settings, render, namespace=namespace, user=user, admin=admin, config=config, server=server
    )


def _service_manifest(spawner: Any, pod: dict[str, Any]) -> Any:
    """The per-user Service as KubeSpawner makes it at spawn: from 7.1 on with the port of the
    pod's ``notebook-port``, before that with ``spawner.port`` (the same number)."""
    if hasattr(spawner, "_get_pod_port"):
        return spawner.get_service_manifest(None, spawner._get_pod_port(pod))
    return spawner.get_service_manifest(None)


def _hub(settings: HubSettings) -> Any:
    from jupyterhub.objects import Hub

    # As JupyterHub builds it from hub_bind_url and hub_connect_url.
    hub = Hub(bind_url=settings.bind_url, base_url="/hub/")
    hub.connect_url = settings.connect_url
    return hub
