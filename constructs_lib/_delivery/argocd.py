"""An Argo CD ``Application`` that syncs an app's synthesized directory from Git, and the sync
waves (``argocd.argoproj.io/sync-wave``) that order the objects it applies.

Argo CD 3.5's rules this follows (argoproj/argo-cd at v3.5.1):

- a wave is the annotation's integer, 0 without one (gitops-engine/pkg/sync/syncwaves/waves.go,
  ``Wave``); a sync applies one wave, waits until its objects are healthy, then the next
  (docs/user-guide/sync-waves.md); pruning runs in reverse wave order, and with
  ``PruneLast=true`` only after every wave is applied and healthy
  (docs/user-guide/sync-options.md, "Prune Last");
- ``automated.prune`` deletes what Git no longer holds, ``automated.selfHeal`` re-applies what
  was changed on the cluster (docs/user-guide/auto_sync.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import cdk8s
from constructs import Construct, IValidation

import jsii
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import COMPONENT_LABEL, Component, check_dns_label
from constructs_lib._core._objects import api_object, kind_of
from constructs_lib._core._props import check_arguments, check_fields
from constructs_lib._core._reloader import RELOAD_SECRET_ANNOTATION
from hub_runtime.frozen import frozen

__all__ = [
    "KEEP_OPTIONS",
    "SYNC_OPTIONS_ANNOTATION",
    "SYNC_WAVE_ANNOTATION",
    "ArgoCdApplication",
    "GitSource",
    "SyncWave",
    "sync_wave_of",
]

SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave"
# Per-object sync options, comma-separated key=value (gitops-engine/pkg/sync/common/types.go
# AnnotationSyncOptions; resource/annotations.go GetAnnotationOptionValue reads them).
SYNC_OPTIONS_ANNOTATION = "argocd.argoproj.io/sync-options"
# The Namespace holds what is in no Git: the hub's database claim, each user's claim, the
# Secrets operators write. Deleting it deletes them all, so Argo CD never does: not when it
# leaves Git or is renamed (Prune=false: sync_context.go isPruningDisabled, read from the
# live object), nor with the Application (Delete=false: controller/appcontroller.go
# shouldBeDeleted).
KEEP_OPTIONS = ("Prune=false", "Delete=false")
# What Reloader writes into a workload's pod template to roll it, with reloadStrategy
# annotations (stakater/Reloader docs, "Use Reloader with Argo CD"): its own, not Git's.
RELOADED_FROM_POINTER = (
    "/spec/template/metadata/annotations/reloader.stakater.com~1last-reloaded-from"
)

# A failed sync is retried, or automated sync never tries that commit again
# (controller/appcontroller.go autoSync: "Skipping auto-sync: failed previous sync attempt").
# On an empty cluster the first sync fails whenever an object turns Degraded before what it
# waits for is ready (an ExternalSecret while its store starts: Ready=False is Degraded,
# resource_customizations/external-secrets.io/ExternalSecret/health.lua; sync_context.go
# fails the operation on Degraded). Without a limit, every 3 minutes at most, and a new
# commit takes over a retrying sync (refresh; docs/user-guide/auto_sync.md).
SYNC_RETRY = {
    "limit": -1,
    "refresh": True,
    "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"},
}

# Argo CD's in-cluster destination (the cluster Argo CD runs in).
IN_CLUSTER = "https://kubernetes.default.svc"

# What Argo CD accepts as a repository (util/git/git.go IsSSHURL, IsHTTPSURL): https or http,
# ssh://, or the scp-like user@host:path. Credentials never go in the URL: Argo CD keeps them
# in a repository Secret.
# A host name starts with a letter or digit: git passes an ssh host to ssh as an argument, and
# one starting with "-" is an option (git's own check since CVE-2017-1000117).
_HOST = r"[A-Za-z0-9][A-Za-z0-9.-]*"
_HTTP_URL = re.compile(rf"https?://(?P<userinfo>[^/@\s]*@)?{_HOST}(?::[0-9]+)?(?:/\S*)?")
_SSH_URL = re.compile(rf"ssh://[A-Za-z0-9._-]+@{_HOST}(?::[0-9]+)?/\S+")
_SCP_URL = re.compile(rf"[A-Za-z0-9._-]+@{_HOST}:[^\s/-]\S*")
# A branch, tag, commit or HEAD: git's check-ref-format, in short (no spaces, '..', '~^:?*[\').
_REVISION = re.compile(r"(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/+-]{1,255}(?<![/.])")
# user:password@ in any URL's authority: refused before anything would echo the value.
_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/@]*:[^/@]*@")
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._+-]+")


class SyncWave(IntEnum):
    """The order Argo CD applies the app in, one wave after the other, each healthy first."""

    # The Namespace: every other object lives in it.
    NAMESPACE = -2
    # What the hub and the proxy read or are governed by: ConfigMaps, Secrets and their
    # ExternalSecrets, RBAC, quotas, priority classes, network and mesh policies.
    PREREQUISITES = -1
    # The hub, the proxy and the proxy's route store, together: the hub refuses to start
    # unless it reaches the proxy's API within 30 s (jupyterhub/app.py, JupyterHub.start:
    # "verify that we can talk to the proxy before listening"; proxy.py, api_request), so a
    # hub wave before the proxy's would never turn healthy on a first install.
    WORKLOADS = 0
    # What sends users to the proxy (Ingress, HTTPRoute, Istio Gateway and VirtualService):
    # only once the hub answers.
    ROUTES = 1


# Kinds (group, kind) of the workload wave.
_WORKLOADS = {
    ("apps", "StatefulSet"),
    ("apps", "Deployment"),
    ("", "Service"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("policy", "PodDisruptionBudget"),
}
_ROUTES = {
    ("networking.k8s.io", "Ingress"),
    ("gateway.networking.k8s.io", "HTTPRoute"),
    ("gateway.networking.k8s.io", "ReferenceGrant"),
    ("networking.istio.io", "Gateway"),
    ("networking.istio.io", "VirtualService"),
}


def sync_wave_of(api_version: str, kind: str, labels: dict[str, str]) -> SyncWave:
    """The wave of one object, from its kind and its component label (user servers' objects,
    such as their ServiceAccount, are prerequisites of the hub that spawns them)."""
    group = kind_key(api_version, kind)[0]
    if (group, kind) == ("", "Namespace"):
        return SyncWave.NAMESPACE
    if (group, kind) in _ROUTES:
        return SyncWave.ROUTES
    if (group, kind) in _WORKLOADS and labels.get(COMPONENT_LABEL) != Component.SINGLEUSER:
        return SyncWave.WORKLOADS
    return SyncWave.PREREQUISITES


@frozen(kw_only=True)
class GitSource:
    """Where Argo CD reads the app's synthesized manifests.

    Args:
        repo_url: the Git repository, ``https://…``, ``ssh://git@…`` or ``git@host:org/repo``;
            no credentials in it (Argo CD reads them from a repository Secret).
        path: the app's directory in the repository, relative to its root, such as
            ``dist/dev``: every ``*.yaml`` directly in it is applied.
        revision: the branch, tag or commit to follow; default ``HEAD``, the repository's
            default branch.
    """

    repo_url: str
    path: str
    revision: str = "HEAD"

    def check(self, scope: Construct, field: str) -> None:
        check_fields(scope, self, f"{field}.")
        if _PASSWORD.match(self.repo_url):
            raise _credentials(scope, field)
        url = _HTTP_URL.fullmatch(self.repo_url)
        if url is None and not (
            _SSH_URL.fullmatch(self.repo_url) or _SCP_URL.fullmatch(self.repo_url)
        ):
            raise invalid(
                scope,
                f"{field}.repo_url",
                self.repo_url,
                "must be a Git URL (https://host/org/repo.git, ssh://git@host/org/repo.git "
                "or git@host:org/repo.git)",
            )
        if url is not None and url["userinfo"]:
            raise _credentials(scope, field)
        segments = self.path.split("/")
        if (
            not self.path
            or self.path.startswith("/")
            or any(s in {".", ".."} or not _PATH_SEGMENT.fullmatch(s) for s in segments)
        ):
            raise invalid(
                scope,
                f"{field}.path",
                self.path,
                "must be a relative path inside the repository, such as 'dist/dev' (no "
                "leading '/', no '.' or '..' segments)",
            )
        if not _REVISION.fullmatch(self.revision):
            raise invalid(
                scope,
                f"{field}.revision",
                self.revision,
                "must be a branch, tag or commit (such as 'main', 'v1.2.0' or 'HEAD')",
            )


def _check_destination(scope: Construct, server: str) -> None:
    """An API server's https URL: Argo CD's cluster Secret holds its credentials, and a
    password in the URL would be echoed by the error."""
    if _PASSWORD.match(server):
        raise ValueError(
            f"{scope.node.path}: destination_server must not hold credentials (user or "
            "password before '@'): Argo CD keeps them in its cluster Secret"
        )
    url = _HTTP_URL.fullmatch(server)
    if url is None or not server.startswith("https://") or url["userinfo"]:
        raise invalid(scope, "destination_server", server, "must be an https:// URL")


def _credentials(scope: Construct, field: str) -> ValueError:
    # The value holds a secret: never echo it.
    return ValueError(
        f"{scope.node.path}: {field}.repo_url must not hold credentials (user or password "
        "before '@'): give them to Argo CD as a repository Secret"
    )


class ArgoCdApplication(LibraryConstruct):
    """An Argo CD ``Application`` (argoproj.io/v1alpha1) that keeps the cluster at what Git
    holds at ``source``, and the sync wave of every object of the charts it ``delivers``.

    Sync: automated, with prune (an object gone from Git, such as the hub's ConfigMap of
    the previous configuration, whose name carries its content's hash, is deleted) and self
    heal (a change made on the cluster is undone); ``PruneLast=true`` deletes only after
    every wave is healthy, so the old hub keeps its ConfigMap until the new hub answers.
    A failed sync is retried without a limit (at most 3 minutes apart), since automated sync
    never retries a commit by itself.
    A workload Reloader rolls (it carries ``secret.reloader.stakater.com/reload``) has the
    annotation Reloader writes into its pod template ignored (``ignoreDifferences``, with
    ``RespectIgnoreDifferences=true``): run Reloader with ``reloadStrategy: annotations``, as
    its Argo CD guide says; nothing else the cluster writes is in Git, so nothing else needs
    ignoring.

    Waves (:class:`SyncWave`, by :func:`sync_wave_of`): the Namespace, then the hub's and the
    proxy's prerequisites, then the hub and the proxy, then the routes to the proxy. An
    object that already has a wave annotation keeps it. Make this construct after everything
    in ``delivers``: an object added later has no wave, which synthesis reports.

    The Application goes in ``namespace`` (Argo CD's), so put this construct in a chart of its
    own, synthesized outside ``source.path``: Argo CD must not sync its own Application.
    It carries no ``resources-finalizer``: deleting the Application leaves the hub running
    (add the finalizer with ``ApiObject.of(app).metadata.add_finalizers`` to have Argo CD
    delete the app's objects with it; the hub's database volume, made by its StatefulSet,
    is never among them). The Namespace gets ``argocd.argoproj.io/sync-options:
    Prune=false,Delete=false``: deleting it would delete the claims and Secrets in it that
    no Git holds, so Argo CD neither prunes it nor deletes it with the Application.

    Args:
        source: where the synthesized manifests are in Git: required.
        delivers: the charts whose objects ``source.path`` holds (the app's Namespace chart and
            its main chart): required, at least one; their namespaced objects share one
            namespace, the Application's destination.
        name: the Application's name, a DNS label; default ``jupyterhub``.
        namespace: Argo CD's namespace, where Applications live; default ``argocd``.
        project: the Argo CD project; default ``default``.
        destination_server: the cluster's API server as Argo CD knows it; default
            ``https://kubernetes.default.svc``, the cluster Argo CD runs in.
    """

    application = Handle[cdk8s.ApiObject]("The Application.")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        source: GitSource,
        delivers: Sequence[cdk8s.Chart],
        name: str = "jupyterhub",
        namespace: str = "argocd",
        project: str = "default",
        destination_server: str = IN_CLUSTER,
    ) -> None:
        super().__init__(scope, id)
        check_arguments(
            self,
            ArgoCdApplication.__init__,
            source=source,
            delivers=delivers,
            name=name,
            namespace=namespace,
            project=project,
            destination_server=destination_server,
        )
        source.check(self, "source")
        for field, value in (("name", name), ("namespace", namespace), ("project", project)):
            check_dns_label(self, field, value)
        _check_destination(self, destination_server)
        destination = self._destination_namespace(delivers)
        reloaded = [workload for chart in delivers for workload in self._annotate(chart)]
        # Checked when the delivered app is synthesized, before it writes anything.
        for chart in delivers:
            chart.node.add_validation(_AllWaved(self, chart))
        self.application = api_object(
            self,
            "Application",
            api_version="argoproj.io/v1alpha1",
            kind="Application",
            name=name,
            namespace=namespace,
            labels={},
            spec=application_spec(
                source=source,
                project=project,
                destination_server=destination_server,
                destination_namespace=destination,
                reloaded=reloaded,
            ),
        )
        self.node.default_child = self.application

    def _destination_namespace(self, delivers: Sequence[cdk8s.Chart]) -> str:
        if not delivers:
            raise invalid(self, "delivers", list(delivers), "must name at least one chart")
        namespaces = sorted({chart.namespace for chart in delivers if chart.namespace})
        paths = [chart.node.path for chart in delivers]
        if not namespaces:
            raise invalid(
                self,
                "delivers",
                paths,
                "must include a chart with a namespace (the Application's destination)",
            )
        if len(namespaces) > 1:
            raise invalid(
                self,
                "delivers",
                paths,
                "must be charts of one namespace (the Application's destination), "
                f"not of {namespaces}",
            )
        return namespaces[0]

    @staticmethod
    def _annotate(chart: cdk8s.Chart) -> list[tuple[str, str]]:
        """Give each object of ``chart`` its wave; the (kind, name) of the workloads Reloader
        rolls."""
        reloaded = []
        for obj in _api_objects(chart):
            metadata = obj.metadata.to_json()
            annotations = metadata.get("annotations") or {}
            kind = kind_of(obj)
            if RELOAD_SECRET_ANNOTATION in annotations:
                reloaded.append((kind, metadata["name"]))
            if kind_key(obj.api_version, kind) == ("", "Namespace"):
                _keep(obj, annotations.get(SYNC_OPTIONS_ANNOTATION, ""))
            if SYNC_WAVE_ANNOTATION in annotations:
                continue
            wave = sync_wave_of(obj.api_version, kind, metadata.get("labels") or {})
            obj.metadata.add_annotation(SYNC_WAVE_ANNOTATION, str(int(wave)))
        return reloaded


def application_spec(
    *,
    source: GitSource,
    project: str,
    destination_server: str,
    destination_namespace: str,
    reloaded: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """The Application's spec; ``reloaded``: (kind, name) of the workloads Reloader rolls."""
    ignored = [
        {
            "group": "apps",
            "kind": kind,
            "name": name,
            "namespace": destination_namespace,
            "jsonPointers": [RELOADED_FROM_POINTER],
        }
        for kind, name in sorted(set(reloaded))
    ]
    return {
        "project": project,
        "source": {
            "repoURL": source.repo_url,
            "targetRevision": source.revision,
            "path": source.path,
        },
        "destination": {"server": destination_server, "namespace": destination_namespace},
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            # Old objects go once the new ones are healthy; a sync keeps what is ignored
            # (Reloader's annotation: undoing it would roll the pods back).
            "syncOptions": [
                "PruneLast=true",
                *(["RespectIgnoreDifferences=true"] if ignored else []),
            ],
            "retry": SYNC_RETRY,
        },
        **({"ignoreDifferences": ignored} if ignored else {}),
    }


def kind_key(api_version: str, kind: str) -> tuple[str, str]:
    """(group, kind) of an object; the core group is ``""``."""
    return api_version.rpartition("/")[0], kind


def _keep(obj: cdk8s.ApiObject, options: str) -> None:
    """Add KEEP_OPTIONS to the object's sync options, unless it already says Prune or Delete
    itself."""
    given = [o.strip() for o in options.split(",") if o.strip()]
    keys = {o.partition("=")[0] for o in given}
    added = [o for o in KEEP_OPTIONS if o.partition("=")[0] not in keys]
    obj.metadata.add_annotation(SYNC_OPTIONS_ANNOTATION, ",".join([*given, *added]))


def _api_objects(chart: cdk8s.Chart) -> list[cdk8s.ApiObject]:
    return [c for c in chart.node.find_all() if isinstance(c, cdk8s.ApiObject)]


@jsii.implements(IValidation)
class _AllWaved:
    """A synth-time check: an object made after the Application has no wave."""

    def __init__(self, owner: Construct, chart: cdk8s.Chart) -> None:
        self._owner = owner
        self._chart = chart

    def validate(self) -> list[str]:
        missing = [
            obj.node.path
            for obj in _api_objects(self._chart)
            if SYNC_WAVE_ANNOTATION not in (obj.metadata.to_json().get("annotations") or {})
        ]
        return [
            f"{self._owner.node.path}: made before {path}, which has no "
            f"{SYNC_WAVE_ANNOTATION} (make the Application after every object it delivers)"
            for path in missing
        ]
