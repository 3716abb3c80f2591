"""DynamicKubeSpawner: KubeSpawner whose templates know the user's key and admin flag."""

from __future__ import annotations

import asyncio
import json
import string
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache, partial
from typing import Any

from jupyterhub.utils import exponential_backoff, maybe_future
from kubernetes_asyncio.client.rest import ApiException
from kubespawner import KubeSpawner
from kubespawner.objects import make_owner_reference
from traitlets import Bool, default

from hub_runtime.slugs import DNS_LABEL_CHARS, POD_NAME_PREFIX, server_key, user_key
from hub_runtime.spawn_options import OPTION_FIELD_PREFIX, PROFILE_KEY, options_problem, refused

__all__ = [
    "CLAIM_USER_LABEL",
    "POD_NAME_PREFIX",
    "PVC_NAME_PREFIX",
    "DynamicKubeSpawner",
    "node_conflicts",
]

_FLAGS = ("true", "false")
_PER_POD_TRAITS = ("pod_affinity_required", "pod_affinity_preferred", "extra_labels")
# KubeSpawner's own prefixes; the per-user Service takes the pod's name.
PVC_NAME_PREFIX = "claim-"
# The label, with the user's key, of a user pod that mounts the user's claim: what keeps
# the user's servers together where that claim attaches to one node at a time.
CLAIM_USER_LABEL = "hub.jupyter.org/claim-user"
# Pod and Service names are DNS labels: the key fits beside the longer prefix.
_SERVER_KEY_CHARS = DNS_LABEL_CHARS - max(len(POD_NAME_PREFIX), len(PVC_NAME_PREFIX))


@lru_cache(maxsize=1024)
def _template_parts(template: str) -> tuple[tuple[str, str | None, str], ...]:
    """A template's literal texts (braces escaped again) and fields, each field also as
    written (with its conversion and format spec): the configuration's few templates are
    parsed once, not at every spawn."""
    parts: list[tuple[str, str | None, str]] = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        escaped = literal.replace("{", "{{").replace("}", "}}")
        if field is None:
            parts.append((escaped, None, ""))
            continue
        suffix = (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        parts.append((escaped, field, "{" + field + suffix + "}"))
    return tuple(parts)


class DynamicKubeSpawner(KubeSpawner):  # type: ignore[misc]
    """A KubeSpawner whose string fields (volumes, mounts, init containers, labels, …) may also
    use ``{user}`` (the user's key, :func:`hub_runtime.slugs.user_key`: the name itself when
    it is a plain DNS label, else a readable part and a 128-bit hash; never ``/`` or ``..``,
    never shared by two users), ``{user_server_key}`` (the same for one of the user's
    servers), ``{is_admin}`` and ``{is_not_admin}`` (``true``/``false``). A mount's
    ``readOnly`` given as ``"{is_admin}"`` or ``"{is_not_admin}"`` becomes the boolean.
    Pod affinity terms are expanded too (KubeSpawner leaves them as written). With
    ``servers_share_a_node``, the pod joins the user's other servers on their node.
    Pod and per-user Service names use ``{user_server_key}``, so two users never get one
    pod; the PersistentVolumeClaim is the user's (``claim-{user}``), shared by their
    servers as in zero-to-jupyterhub (a named server's removal never deletes it).
    Templates are expanded per spawn into new objects; the shared configuration is never
    modified. With ``per_user_service``, each server gets a Service of its own, made as soon
    as its pod is.
    """

    per_user_service = Bool(
        False,
        config=True,
        help="""A Service per server (named as its pod, owned by it), the server reached at
        its cluster DNS name rather than the pod's address: what KubeSpawner's
        ``services_enabled`` gives, leave that off. KubeSpawner 7.0 (``KubeSpawner._start``)
        first waits at most 10 s, a fixed limit, for its pod watch to show the new pod (the
        Service's owner reference needs the pod's uid) and fails the spawn past it; then
        deletes any Service of that name and makes it again. Here the uid is the one the
        API's answer to the pod's creation carries, and a Service is deleted only when one
        left from an earlier pod of the name is in the way: a watch behind at the start of
        a class fails no spawn, and each spawn makes one request fewer.""",
    )

    @default("pod_name_template")
    def _pod_name_template_default(self) -> str:
        return POD_NAME_PREFIX + "{user_server_key}"

    @default("pvc_name_template")
    def _pvc_name_template_default(self) -> str:
        # Per user: every server of the user mounts the same home. Without {user_server} (or
        # {servername}, before KubeSpawner 7.1) in it, KubeSpawner treats the claim as shared
        # and never deletes it with a named server.
        return PVC_NAME_PREFIX + "{user}"

    def _extra_fields(self) -> dict[str, str]:
        is_admin = bool(getattr(self.user, "admin", False))
        # A spawn expands some thirty templates: the keys (hashes) are made once for them.
        source = (self.user.name, self.name or "", is_admin)
        cached = getattr(self, "_fields_cache", None)
        if cached is not None and cached[0] == source:
            return cached[1]  # type: ignore[no-any-return]
        fields = {
            "user": user_key(self.user.name),
            "user_server_key": server_key(self.user.name, self.name or "", _SERVER_KEY_CHARS),
            "is_admin": _FLAGS[0] if is_admin else _FLAGS[1],
            "is_not_admin": _FLAGS[1] if is_admin else _FLAGS[0],
        }
        self._fields_cache = (source, fields)
        return fields

    async def _make_create_pod_request(self, pod: Any, request_timeout: float) -> bool:
        """KubeSpawner's (retried by ``exponential_backoff``: False to try again; a pod left
        with the name is stopped first), then the server's Service, owned by the pod the
        API made."""
        if not self.per_user_service:
            return bool(await super()._make_create_pod_request(pod, request_timeout))
        name = pod.metadata.name
        try:
            self.log.info(f"Attempting to create pod {name}, with timeout {request_timeout}")
            created = await asyncio.wait_for(
                self.api.create_namespaced_pod(self.namespace, pod), request_timeout
            )
        except TimeoutError:
            return False
        except ApiException as error:
            if error.status != 409:
                self.log.exception("Failed for %s", pod.to_str())
                raise
            self.log.info(f"Found existing pod {name}, attempting to kill")
            await self.stop(True)
            return False
        try:
            await self._create_service(make_owner_reference(name, created.metadata.uid))
        except Exception:
            # As KubeSpawner cleans up a failed Service: the pod goes, and its spawn fails.
            await self.stop(True)
            raise
        return True

    async def _create_service(self, owner_reference: Any) -> None:
        manifest = self.get_service_manifest(owner_reference)
        name = manifest.metadata.name

        async def create() -> bool:
            self.log.info(f"Attempting to create service {name}")
            try:
                await asyncio.wait_for(
                    self.api.create_namespaced_service(self.namespace, manifest),
                    self.k8s_api_request_timeout,
                )
            except TimeoutError:
                return False
            except ApiException as error:
                if error.status != 409:
                    raise
                # Left from an earlier pod of this name (owned by it, so it would go with it,
                # and the server with it): deleted, then made again.
                await exponential_backoff(
                    partial(self._ensure_not_exists, "service", name),
                    f"Could not delete service {name}",
                    timeout=self.k8s_api_request_retry_timeout,
                )
                return False
            return True

        await exponential_backoff(
            create,
            f"Could not create service {name}",
            timeout=self.k8s_api_request_retry_timeout,
        )

    def _get_pod_url(self, pod: Any) -> str:
        """The Service's cluster DNS name with ``per_user_service`` (as KubeSpawner's with
        ``services_enabled``, which its own hooks and internal SSL still override)."""
        if (
            not self.per_user_service
            or self.get_pod_url
            or self.internal_ssl
            or self.pod_connect_ip
        ):
            return str(super()._get_pod_url(pod))
        return f"http://{self.dns_name}:{self.port}"

    def _expand_user_properties(self, template: str, slug_scheme: str | None = None) -> str:
        extra = self._extra_fields()
        parts = []
        for literal, field, written in _template_parts(template):
            parts.append(literal)
            if field is not None:
                # Ours expanded; KubeSpawner's own fields left for it to expand.
                parts.append(
                    extra[field] if field in extra and written == f"{{{field}}}" else written
                )
        return str(super()._expand_user_properties("".join(parts), slug_scheme))

    def _expand_all(self, src: Any) -> Any:
        expanded = super()._expand_all(src)
        if isinstance(expanded, dict) and expanded.get("readOnly") in _FLAGS:
            expanded = {**expanded, "readOnly": expanded["readOnly"] == "true"}
        return expanded

    servers_share_a_node = Bool(
        False,
        config=True,
        help="""Keep the pod on the node of the user's other servers that mount the user's
        claim (labelled ``hub.jupyter.org/claim-user``): a ReadWriteOnce volume attaches to
        one node at a time, and a server elsewhere would wait for it ("Multi-Attach error").
        A required pod affinity term; preferred at weight 100 where other required terms
        are set, since kube-scheduler places the first pod of such a series only if it
        matches all its required terms itself.""",
    )

    async def get_pod_manifest(self) -> Any:
        saved = {name: getattr(self, name) for name in _PER_POD_TRAITS}
        required = self._expand_all(self._sorted_dict_values(self.pod_affinity_required))
        preferred = self._expand_all(self._sorted_dict_values(self.pod_affinity_preferred))
        labels = dict(self.extra_labels)
        if self.servers_share_a_node:
            key = user_key(self.user.name)
            labels[CLAIM_USER_LABEL] = key
            together = {
                "labelSelector": {"matchLabels": {CLAIM_USER_LABEL: key}},
                "topologyKey": "kubernetes.io/hostname",
            }
            if required:
                preferred = [*preferred, {"weight": 100, "podAffinityTerm": together}]
            else:
                required = [together]
        # For this pod only: the traits are back as configured once it is made.
        self.set_trait("pod_affinity_required", required)
        self.set_trait("pod_affinity_preferred", preferred)
        self.set_trait("extra_labels", labels)
        try:
            return await super().get_pod_manifest()
        finally:
            for name, value in saved.items():
                self.set_trait(name, value)

    async def spawn_options_problem(self, options: object) -> str | None:
        """Why ``options`` ask for what the profile list does not offer, naming the option,
        or None (:func:`hub_runtime.spawn_options.options_problem`): what the spawn form and
        the REST API refuse with a 400 before the spawn starts (:mod:`hub_runtime.spawn_requests`).
        A profile list that is neither a list nor a callable returning one is left to
        KubeSpawner."""
        profiles = self._sorted_dict_values(self.profile_list)
        if callable(profiles):
            profiles = await maybe_future(profiles(self))
        if not isinstance(profiles, Sequence):
            return None
        problem = options_problem(profiles, options)
        if problem is None and isinstance(options, Mapping):
            problem = self._node_problem(profiles, options)
        return problem

    async def load_user_options(self) -> None:
        """KubeSpawner's, after refusing options the profile does not offer (KubeSpawner fails
        on most with a bare ``KeyError``, ``TypeError`` or ``ValueError``, a traceback): the
        spawn fails as a 400 naming the option, which the spawn page shows. Where the hub
        serves :mod:`hub_runtime.spawn_requests`, the request was refused before this."""
        problem = await self.spawn_options_problem(self.user_options)
        if problem:
            raise refused(problem)
        await super().load_user_options()
        problem = self._node_problem(self.profile_list, self.user_options)
        if problem:
            raise refused(problem)

    def _node_problem(self, profile_list: Any, user_options: Any) -> str | None:
        """Why a server of ``user_options`` cannot join the node of the user's running server
        that mounts the same ReadWriteOnce claim, or None. Asked before the spawn starts
        (:meth:`spawn_options_problem`: the form and the REST API answer 400 at once) and
        again when it loads its options.

        With ``servers_share_a_node`` the pod must run where that server runs. Unless its
        profile asks no more of a node than the running one's did (node labels, node
        affinity, extended resources such as ``nvidia.com/gpu``, a RuntimeClass) and
        tolerates every taint the running one tolerates, that node may not fit it, and the
        pod would stay Pending until ``start_timeout``: the spawn fails at once instead."""
        spawners = getattr(self.user, "spawners", None)
        # Whether both servers share the claim is read from their profiles (their
        # kubespawner_override): before the spawn starts, no profile is applied yet.
        if not isinstance(spawners, Mapping):
            return None
        mine = _profile_of(profile_list, user_options)
        if mine is None:
            return None
        for name, other in sorted(spawners.items()):
            if other is self or not getattr(other, "active", False):
                continue
            theirs = _profile_of(profile_list, getattr(other, "user_options", None))
            if theirs is None or not _shares_the_claim(theirs, mine):
                continue
            reasons = node_conflicts(theirs, mine)
            if not reasons:
                continue
            other_server = f"server {name!r}" if name else "the default server"
            return (
                f"Profile {mine['slug']!r} cannot start while {other_server} runs profile "
                f"{theirs['slug']!r}: both mount your ReadWriteOnce volume, which attaches to "
                f"one node at a time, so this server would have to run on that server's node, "
                f"and {'; '.join(reasons)}. Stop {other_server} first, or choose "
                f"{theirs['slug']!r}"
            )
        return None

    @default("options_from_form")
    def _options_from_form_default(self) -> Callable[[dict[str, list[str]]], dict[str, Any]]:
        parse = super()._options_from_form_default()

        def options_from_form(formdata: dict[str, list[str]]) -> dict[str, Any]:
            """KubeSpawner's form parsing. It drops the options of a form that names no
            profile (and spawns the default one): they are kept, so that the spawn is
            refused for the missing profile. Nothing is refused here: JupyterHub logs a
            traceback for an error raised while it parses the form."""
            options: dict[str, Any] = parse(formdata)
            if PROFILE_KEY not in options:
                options.update(
                    {k: v[0] for k, v in formdata.items() if k.startswith(OPTION_FIELD_PREFIX)}
                )
            return options

        return options_from_form


def node_conflicts(running: Mapping[str, Any], starting: Mapping[str, Any]) -> list[str]:
    """Why a server of profile ``starting`` may not fit the node of a server of ``running``
    (KubeSpawner profile entries), or none: what ``starting`` asks of a node that
    ``running`` did not, and the tolerations of ``running`` that ``starting`` lacks."""
    missing = sorted(_needs(starting) - _needs(running))
    untolerated = sorted(_tolerations(running) - _tolerations(starting))
    reasons = []
    if missing:
        reasons.append(f"it needs {', '.join(missing)}, which {running['slug']!r} does not")
    if untolerated:
        reasons.append(f"it lacks the toleration {', '.join(untolerated)} of {running['slug']!r}")
    return reasons


def _profile_of(profile_list: Any, user_options: Any) -> Mapping[str, Any] | None:
    """The profile ``user_options`` name (the default one when they name none)."""
    if not isinstance(profile_list, Sequence):
        return None
    profiles = [p for p in profile_list if isinstance(p, Mapping)]
    slug = (user_options or {}).get("profile") if isinstance(user_options, Mapping) else None
    if slug:
        return next((p for p in profiles if p.get("slug") == slug), None)
    return next((p for p in profiles if p.get("default")), profiles[0] if profiles else None)


def _override(profile: Mapping[str, Any]) -> Mapping[str, Any]:
    override = profile.get("kubespawner_override")
    return override if isinstance(override, Mapping) else {}


def _shares_the_claim(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    return all(_override(p).get("servers_share_a_node") for p in (first, second))


def _needs(profile: Mapping[str, Any]) -> set[str]:
    """What a profile's pods require of their node, each as the message names it."""
    override = _override(profile)
    needs = {f"node label {k}={v}" for k, v in (override.get("node_selector") or {}).items()}
    for term in override.get("node_affinity_required") or []:
        needs.add(f"node affinity {json.dumps(term, sort_keys=True)}")
    for key in ("extra_resource_guarantees", "extra_resource_limits"):
        # Extended resources (a vendor's domain, e.g. nvidia.com/gpu) exist on some nodes only.
        needs |= {f"the resource {r}" for r in (override.get(key) or {}) if "/" in r}
    runtime = (override.get("extra_pod_config") or {}).get("runtimeClassName")
    if runtime:
        needs.add(f"the RuntimeClass {runtime}")
    return needs


def _tolerations(profile: Mapping[str, Any]) -> set[str]:
    tolerations = _override(profile).get("tolerations") or []
    return {json.dumps(t, sort_keys=True) for t in tolerations}
