"""What an app module gives the synthesizer, and how an app is put together."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import cdk8s
from constructs import Construct

from constructs_lib import (
    DEFAULT_STORAGE_CLASS,
    ArgoCdApplication,
    External,
    GitSource,
    HubNamespace,
    JupyterHub,
    KubernetesVersion,
    Prerequisite,
)
from hub_runtime.frozen import frozen

__all__ = [
    "DELIVERY_SUFFIX",
    "BuildApp",
    "BuiltApp",
    "build_app",
    "pull_secret_prerequisites",
    "storage_prerequisites",
    "user_pod_prerequisites",
]

# The namespace every app deploys into.
NAMESPACE = "jupyterhub"
# The directory beside an app's where its Argo CD Application is written (outside the path
# the Application syncs).
DELIVERY_SUFFIX = "-argocd"


@frozen
class BuiltApp:
    name: str
    app: cdk8s.App
    external: External
    # The Argo CD Application's app (``<outdir>-argocd``), when a GitSource was given.
    delivery: cdk8s.App | None = None


class _AppChart(Protocol):
    jupyterhub: JupyterHub
    external: External

    def add_dependency(self, *dependencies: Construct) -> None: ...


# An app chart class: (scope, id, *, kubernetes_version, **its own props).
_ChartClass = Callable[..., _AppChart]


class BuildApp(Protocol):
    """An app module's ``build``: the app in ``outdir``, with chart props a site sets."""

    def __call__(
        self,
        outdir: str,
        kubernetes_version: KubernetesVersion,
        props: Mapping[str, Any] | None = None,
    ) -> BuiltApp: ...


def user_pod_prerequisites(jupyterhub: JupyterHub) -> tuple[Prerequisite, ...]:
    """What only user pods name: the RuntimeClass of each GPU profile (the reference's
    ``nvidia``), and the PriorityClass where the cluster, not the app, has it."""
    runtime_classes = sorted(
        {name for profile in jupyterhub.profiles if (name := profile.settings.runtime_class_name)}
    )
    hub = jupyterhub.hub
    priority = hub.user_pods.priority.prerequisite(hub.release) if hub.user_pods.priority else None
    return (
        *(
            Prerequisite(
                "RuntimeClass",
                name,
                "GPU profiles' pods run with it: the NVIDIA GPU operator creates it "
                "(with the NVIDIA container toolkit alone, create it for the nodes' "
                "nvidia runtime handler)",
            )
            for name in runtime_classes
        ),
        *((priority,) if priority else ()),
    )


def storage_prerequisites(jupyterhub: JupyterHub) -> tuple[Prerequisite, ...]:
    """The StorageClass of each claim: the hub's data volume, and each user's claim if a
    profile mounts one (``None``, no class named: the cluster's default)."""
    hub = jupyterhub.hub.options
    uses: dict[str | None, list[str]] = {
        hub.storage_class: [f"the hub's {hub.storage_size} data volume (its database)"]
    }
    claims = {
        volume.claim
        for profile in jupyterhub.profiles
        for volume in profile.settings.volumes
        if volume.claim is not None
    }
    for claim in sorted(claims, key=str):
        uses.setdefault(claim.storage_class, []).append(
            f"each user's {claim.size} claim ({claim.access_mode})"
        )
    return tuple(
        Prerequisite(
            "StorageClass",
            name or DEFAULT_STORAGE_CLASS,
            (
                "the cluster's default StorageClass (annotated "
                "storageclass.kubernetes.io/is-default-class) "
                if name is None
                else ""
            )
            + f"provisions {' and '.join(used)}: without it the claims stay Pending, and so do "
            "the pods that mount them",
        )
        for name, used in uses.items()
        if name != ""  # no class: bound to a PersistentVolume made beforehand
    )


def pull_secret_prerequisites(jupyterhub: JupyterHub) -> tuple[Prerequisite, ...]:
    """The Secrets hub, proxy and user pods pull their images with."""
    return tuple(
        Prerequisite(
            "Secret",
            name,
            "credentials for the image registry (type kubernetes.io/dockerconfigjson) the "
            "hub, proxy and user pods pull their images with",
        )
        for name in jupyterhub.image_pull_secrets
    )


def build_app(
    name: str,
    chart_class: _ChartClass,
    outdir: str,
    kubernetes_version: KubernetesVersion,
    props: Mapping[str, Any] | None = None,
) -> BuiltApp:
    """The app's chart (with ``props``, e.g. a site's), and before it (file 0000, applied
    first) its Namespace. ``props["argocd"]``, a ``GitSource``: an Argo CD Application for
    the app as well, in ``<outdir>-argocd``, and the sync waves on the app's objects."""
    chart_props = dict(props or {})
    source: GitSource | None = chart_props.pop("argocd", None)
    app = cdk8s.App(outdir=outdir)
    chart = chart_class(app, "jupyterhub", kubernetes_version=kubernetes_version, **chart_props)
    namespace = cdk8s.Chart(app, "namespace")
    HubNamespace.for_jupyterhub(namespace, "Namespace", chart.jupyterhub, name=NAMESPACE)
    chart.add_dependency(namespace)
    delivery = None
    if source is not None:
        delivery = cdk8s.App(outdir=outdir + DELIVERY_SUFFIX)
        ArgoCdApplication(
            cdk8s.Chart(delivery, "application"),
            "Application",
            source=source,
            delivers=[namespace, chart],  # type: ignore[list-item]
            name=chart.jupyterhub.hub.release,
        )
    return BuiltApp(name, app, chart.external, delivery)
