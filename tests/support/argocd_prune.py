"""What Argo CD 3.5 deletes: the stand-in for its prune and its cascading delete of an
Application, which cannot run here (argoproj/argo-cd v3.5.1).

- Only objects the Application tracks are candidates, and never one with an owner: Argo CD
  applies each object of Git with the annotation ``argocd.argoproj.io/tracking-id`` (its
  default tracking method since 3.0), and ``GetManagedLiveObjs``
  (gitops-engine/pkg/cache/cluster.go) keeps only tracked live objects with no
  ``ownerReferences``. Objects the cluster creates (a StatefulSet's claims, KubeSpawner's pods
  and claims, the Secret an ExternalSecret writes, owned by it) are never tracked.
- Prune: a tracked live object that Git no longer holds is deleted unless the live object's
  ``argocd.argoproj.io/sync-options`` says ``Prune=false`` (gitops-engine/pkg/sync/
  sync_context.go ``isPruningDisabled``, called with the live object).
- Deleting an Application with the ``resources-finalizer`` deletes every tracked object but
  one whose sync options say ``Delete=false`` (controller/appcontroller.go
  ``shouldBeDeleted``).
- A sync that failed is never tried again by automated sync for the same commit
  (controller/appcontroller.go ``autoSync``: "Skipping auto-sync: failed previous sync
  attempt"); the operation itself retries only with the Application's
  ``syncPolicy.retry`` (copied into the operation there), whose ``limit`` 0 retries nothing
  and a negative one has no limit (the Application CRD's ``RetryStrategy.limit``).
- Options are comma-separated ``key=value`` items (gitops-engine/pkg/sync/resource/
  annotations.go ``GetAnnotationCSVs``, ``GetAnnotationOptionValue``).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "TRACKING_ANNOTATION",
    "applied",
    "deleted_with_application",
    "failed_sync_retried",
    "pruned",
]

TRACKING_ANNOTATION = "argocd.argoproj.io/tracking-id"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"

Manifest = dict[str, Any]


def _key(obj: Manifest) -> tuple[str, str, str, str]:
    metadata = obj["metadata"]
    return (obj["apiVersion"], obj["kind"], metadata.get("namespace", ""), metadata["name"])


def applied(git: list[Manifest], app: str) -> list[Manifest]:
    """Git's objects as Argo CD leaves them live: with its tracking annotation."""
    live = []
    for obj in git:
        metadata = obj["metadata"]
        api_version, kind, namespace, name = _key(obj)
        tracking = f"{app}:{api_version.rpartition('/')[0]}/{kind}:{namespace}/{name}"
        annotations = {**metadata.get("annotations", {}), TRACKING_ANNOTATION: tracking}
        live.append({**obj, "metadata": {**metadata, "annotations": annotations}})
    return live


def _option(obj: Manifest, key: str) -> str | None:
    options = str(obj["metadata"].get("annotations", {}).get(SYNC_OPTIONS, ""))
    for item in (o.strip() for o in options.split(",")):
        if item.startswith(key + "="):
            return item.removeprefix(key + "=")
    return None


def _managed(live: list[Manifest], app: str) -> list[Manifest]:
    return [
        obj
        for obj in live
        if obj["metadata"].get("annotations", {}).get(TRACKING_ANNOTATION, "").startswith(app + ":")
        and not obj["metadata"].get("ownerReferences")
    ]


def pruned(live: list[Manifest], git: list[Manifest], app: str) -> set[tuple[str, ...]]:
    """(apiVersion, kind, namespace, name) of what a sync with prune deletes."""
    wanted = {_key(obj) for obj in git}
    return {
        _key(obj)
        for obj in _managed(live, app)
        if _key(obj) not in wanted and _option(obj, "Prune") != "false"
    }


def deleted_with_application(live: list[Manifest], app: str) -> set[tuple[str, ...]]:
    """What deleting the Application with its resources-finalizer deletes."""
    return {_key(obj) for obj in _managed(live, app) if _option(obj, "Delete") != "false"}


def failed_sync_retried(application: Manifest) -> bool:
    """Whether a failed sync of a commit is tried again without a new commit or a person."""
    retry = application["spec"].get("syncPolicy", {}).get("retry")
    return retry is not None and int(retry.get("limit", 0)) != 0
