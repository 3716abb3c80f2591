"""What an app module gives the synthesizer, and how an app is put together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cdk8s
from constructs import Construct

from constructs_lib import External, HubNamespace, JupyterHub, KubernetesVersion

__all__ = ["BuiltApp", "build_app", "runtime_classes"]

# The namespace every app deploys into.
NAMESPACE = "jupyterhub"


@dataclass(frozen=True)
class BuiltApp:
    name: str
    app: cdk8s.App
    external: External


class _AppChart(Protocol):
    jupyterhub: JupyterHub
    external: External

    def add_dependency(self, *dependencies: Construct) -> None: ...


class _ChartClass(Protocol):
    def __call__(self, scope: Construct, id: str, *,
                 kubernetes_version: KubernetesVersion) -> _AppChart: ...


def runtime_classes(jupyterhub: JupyterHub) -> frozenset[tuple[str, str]]:
    """The RuntimeClasses the profiles name: the cluster's own (the GPU operator installs
    ``nvidia``), so prerequisites of the app."""
    return frozenset(("RuntimeClass", profile.settings.runtime_class_name)
                     for profile in jupyterhub.profiles if profile.settings.runtime_class_name)


def build_app(name: str, chart_class: _ChartClass, outdir: str,
              kubernetes_version: KubernetesVersion) -> BuiltApp:
    """The app's chart, and before it (file 0000, applied first) its Namespace."""
    app = cdk8s.App(outdir=outdir)
    chart = chart_class(app, "jupyterhub", kubernetes_version=kubernetes_version)
    namespace = cdk8s.Chart(app, "namespace")
    HubNamespace(namespace, "Namespace", name=NAMESPACE, profiles=chart.jupyterhub.profiles)
    chart.add_dependency(namespace)
    return BuiltApp(name, app, chart.external)
