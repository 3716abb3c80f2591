"""What a user can spawn: notebook profiles and the volumes their pods mount."""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from constructs import Construct

from constructs_lib._core._checks import check_enum, check_image, check_instance
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived, resolve
from constructs_lib._core._errors import invalid
from constructs_lib._core._names import check_dns_label, check_dns_subdomain
from constructs_lib._core._props import check_arguments, renamed, renamed_arguments
from constructs_lib._core._pull_policy import ImagePullPolicy
from constructs_lib._core._quantity import check_quantity, check_range, check_sizes
from constructs_lib._core.scan_exceptions import pulled_if_absent, unpinned
from constructs_lib._pods.profile_options import (
    ProfileOption,
    check_default_url,
    check_variants,
    describe_profile,
)
from constructs_lib._pods.scheduling import GPU_TOLERATION, Affinity, Scheduling, Toleration
from constructs_lib._pods.user_containers import RESERVED_NAMES, UserContainer, check_containers
from hub_runtime.frozen import frozen
from hub_runtime.pod_security import NOTEBOOK_OWNER, PATH_FIELDS
from hub_runtime.quantity import parse_quantity
from hub_runtime.settings import (
    ClaimAccessMode,
    ClaimSettings,
    MountAccess,
    ProfileSettings,
    VolumeSettings,
)

__all__ = [
    "DEFAULT_USER_IMAGE",
    "ClaimAccessMode",
    "ImagePullPolicy",
    "MountAccess",
    "NotebookProfile",
    "UserVolume",
]

DEFAULT_USER_IMAGE = "quay.io/jupyter/scipy-notebook:python-3.12"
# Empty and immutable: the defaults of the mapping props (none given).
_NONE: Mapping[str, str] = MappingProxyType({})
_NO_OPTIONS: Mapping[str, ProfileOption] = MappingProxyType({})


@renamed(claim_size="claim", storage_class="claim", access_mode="claim")
@frozen
class UserVolume(VolumeSettings):
    """A volume of the user pod and where it is mounted. Use the factory methods.

    Its fields are the hub settings' (``VolumeSettings``), defaults included: a profile's
    settings hold its volumes as given."""

    @staticmethod
    def persistent_claim(
        name: str = "home",
        *,
        mount_path: str = "/home/jovyan",
        # zero-to-jupyterhub's default capacity.
        size: str = "10Gi",
        # None: the cluster's default StorageClass.
        storage_class: str | None = None,
        access_mode: ClaimAccessMode = ClaimAccessMode.READ_WRITE_ONCE,
        sub_path: str | None = None,
    ) -> UserVolume:
        """The user's own PersistentVolumeClaim ``claim-{user}``: KubeSpawner creates it when
        a server of the user first starts, every server of the user mounts it, and it stays
        when they stop (deleting the user deletes it only with
        ``UserPods(delete_claim_with_user=True)``). Files are the user's through the pod's
        ``fsGroup`` (the notebook user's gid, 100): no root init container. ``size`` is a
        Kubernetes quantity (default ``10Gi``, as zero-to-jupyterhub); ``storage_class``
        ``None`` is the cluster's default; the mount defaults to the notebook user's home."""
        return UserVolume(
            name,
            mount_path,
            sub_path=sub_path,
            claim=ClaimSettings(size=size, storage_class=storage_class, access_mode=access_mode),
        )

    @staticmethod
    def host_path_volume(
        name: str,
        path: str,
        *,
        mount_path: str,
        sub_path: str | None = None,
        access: MountAccess = MountAccess.READ_WRITE,
        owner: tuple[int, int] | None = None,
    ) -> UserVolume:
        """A node directory. ``sub_path`` and ``path`` may use ``{user}``; ``owner`` makes an
        init container chown the user's directory (it runs as root with only CHOWN)."""
        return UserVolume(
            name, mount_path, host_path=path, sub_path=sub_path, access=access, owner=owner
        )

    @staticmethod
    def memory_volume(name: str, *, mount_path: str) -> UserVolume:
        """A memory-backed emptyDir that lives as long as the pod."""
        return UserVolume(name, mount_path, memory=True)

    @staticmethod
    def reference_set() -> tuple[UserVolume, ...]:
        """The reference deployment's volumes: per-user persistent directory, shared data and
        torch cache (read-only unless admin). Not its memory volume for checkpoints: they stay
        beside their notebooks (``REFERENCE_SERVER_ARGS``), one set per directory."""
        return (
            UserVolume.host_path_volume(
                "persistent",
                "/data/jupyterhub/persistent",
                mount_path="/home/jovyan/persistent",
                sub_path="{user}",
                owner=NOTEBOOK_OWNER,
            ),
            UserVolume.host_path_volume(
                "shared",
                "/data/jupyterhub/shared",
                mount_path="/home/jovyan/shared",
                access=MountAccess.READ_ONLY_UNLESS_ADMIN,
            ),
            UserVolume.host_path_volume(
                "torch",
                "/data/jupyterhub/.cache/torch",
                mount_path="/home/jovyan/.cache/torch",
                access=MountAccess.READ_ONLY_UNLESS_ADMIN,
            ),
        )

    def check(self, scope: Construct, field: str) -> None:
        check_dns_label(scope, f"{field}.name", self.name)
        _check_path(scope, f"{field}.mount_path", self.mount_path, absolute=True)
        kinds = (self.host_path is not None) + self.memory + (self.claim is not None)
        if kinds != 1:
            raise invalid(
                scope,
                f"{field}",
                self.name,
                "must be one of a host path, a memory volume or a persistent claim",
            )
        if not isinstance(self.access, MountAccess):
            raise invalid(scope, f"{field}.access", self.access, "must be a MountAccess")
        if self.claim is not None:
            _check_claim(scope, field, self.claim)
            if self.owner is not None:
                raise invalid(
                    scope,
                    f"{field}.owner",
                    self.owner,
                    "must be None for a claim (the pod's fsGroup owns its files)",
                )
        if self.host_path is not None:
            _check_path(scope, f"{field}.host_path", self.host_path, absolute=True)
        if self.sub_path is not None:
            _check_path(scope, f"{field}.sub_path", self.sub_path, absolute=False)


def _as_settings(volume: UserVolume) -> VolumeSettings:
    # The settings type itself, so that settings equal those the hub loads from the file.
    fields = dataclasses.fields(VolumeSettings)
    return VolumeSettings(**{spec.name: getattr(volume, spec.name) for spec in fields})


def _check_claim(scope: Construct, field: str, claim: ClaimSettings) -> None:
    # Reported as the persistent_claim() arguments, which is how a claim is given.
    if not isinstance(claim, ClaimSettings):
        raise invalid(
            scope, f"{field}.claim", claim, "must be made by UserVolume.persistent_claim()"
        )
    size = check_quantity(scope, f"{field}.size", claim.size)
    if size <= 0:
        raise invalid(scope, f"{field}.size", claim.size, "must be more than 0")
    if claim.storage_class is not None:
        check_dns_subdomain(scope, f"{field}.storage_class", claim.storage_class)
    if not isinstance(claim.access_mode, ClaimAccessMode):
        raise invalid(scope, f"{field}.access_mode", claim.access_mode, "must be a ClaimAccessMode")


# Extended resources are "<domain>/<name>" outside Kubernetes' own domain (the device
# plugin's, e.g. nvidia.com/gpu); besides them a container may ask for these by name.
_EXTENDED_RESOURCE = re.compile(
    r"(?!(?:[a-z0-9-]+\.)*kubernetes\.io/)"
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
    r"/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
)
_NAMED_RESOURCE = re.compile(r"ephemeral-storage|hugepages-[0-9]+[KMGTPE]i?")


def _check_extra_resource(scope: Construct, field: str, resource: str, quantity: str) -> None:
    if not isinstance(resource, str) or not (
        _EXTENDED_RESOURCE.fullmatch(resource) or _NAMED_RESOURCE.fullmatch(resource)
    ):
        raise invalid(
            scope,
            field.rsplit("[", 1)[0],
            resource,
            "must name an extended resource '<domain>/<name>' such as "
            "'nvidia.com/gpu' (outside kubernetes.io), 'ephemeral-storage' or "
            "'hugepages-<size>' (CPU and memory have their own props)",
        )
    value = check_quantity(scope, field, quantity)
    if "/" in resource and value != value.to_integral_value():
        raise invalid(
            scope,
            field,
            quantity,
            "must be a whole number: Kubernetes hands out extended resources "
            "whole (no fraction of a device)",
        )


def _check_path(scope: Construct, field: str, value: str, *, absolute: bool) -> None:
    if absolute != value.startswith("/"):
        raise invalid(
            scope,
            field,
            value,
            "must be an absolute path" if absolute else "must be a relative path",
        )
    if ".." in value.split("/"):
        raise invalid(scope, field, value, "must not contain '..'")
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError:
        allowed = "must be a valid template ('{' and '}' balanced)"
        raise invalid(scope, field, value, allowed) from None
    for _, name, spec, conversion in parsed:
        if name is not None and (name not in PATH_FIELDS or spec or conversion):
            fields = "}, {".join(sorted(PATH_FIELDS))
            raise invalid(scope, field, value, f"may only use the template fields {{{fields}}}")


class NotebookProfile(LibraryConstruct):
    """A profile users can spawn. Defaults are the reference's "Standard Notebook".

    The profile is data for the hub (written into its settings); it creates no Kubernetes
    object of its own.

    Args:
        display_name: the name users pick; default ``Standard Notebook``, the reference's.
        slug: the profile's key; default ``Derived.FROM_DISPLAY_NAME``: ``display_name`` in
            lower case, runs of other characters as one ``-`` (``GPU Notebook (A100)``:
            ``gpu-notebook-a100``).
        description: the line under the name; default ``Derived.FROM_SIZES``: the limits, as
            ``4 CPU / 32 GB RAM`` (``/ 1 GPU`` with a GPU, from ``gpus`` or
            ``extra_resource_limits``), so it always says what the profile gives; where the
            options' choices change a limit, its range (``2 to 16 CPU``).
        default: whether the spawn form preselects it; default ``False`` (the first profile is the
            default when none is marked).
        image: the user server image; default ``DEFAULT_USER_IMAGE``.
        image_pull_policy: default ``Always``: the reference moves tags (pin a digest in ``image``
            to make this cheap).
        cpu_request: CPU requested; default ``1``, the reference's.
        cpu_limit: CPU limit; default ``4``, the reference's.
        memory_request: memory requested; default ``256M``, the reference's.
        memory_limit: memory limit; default ``32G``, the reference's.
        gpus: ``nvidia.com/gpu`` per pod; default 0.
        runtime_class_name: the pod's RuntimeClass (``nvidia`` for GPUs); default ``None``, the
            cluster's default runtime.
        extra_resource_guarantees: more extended resources requested; default none.
        extra_resource_limits: more extended resource limits; default none.
        volumes: the volumes mounted; default none (host paths need a privileged namespace);
            ``UserVolume.reference_set()`` is the reference's, ``UserVolume.persistent_claim()``
            the user's own claim (at most one per profile).
        service_account_token: whether the pod gets a Kubernetes API token; default ``False``,
            none unless the profile needs one.
        node_selector: node labels the pod needs (``{"disktype": "ssd"}``); default none.
        tolerations: the taints the pod tolerates (``Toleration.exists(...)``); default
            ``Derived.FROM_GPUS``: with GPUs the ``nvidia.com/gpu`` taint's
            (``GPU_TOLERATION``), else none.
            A list replaces that default (``()``: none).
        affinity: node and pod affinity terms (``NodeAffinityTerm.required(...)``,
            ``PodAffinityTerm.apart_from(...)``); default none.
        default_url: where the server opens, e.g. ``/lab``; default ``None``, the hub-wide one
            (``UserPods.default_url``).
        options: choices inside the profile (``{"image": ProfileOption(...)}``), each changing
            the image, sizes or ``default_url``; default none.
        extra_containers: containers beside the notebook (``UserContainer``); default none.
        init_containers: containers run before the notebook, after the volumes' chown;
            default none.
    """

    @renamed_arguments(
        cpu_guarantee="cpu_request", mem_guarantee="memory_request", mem_limit="memory_limit"
    )
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        display_name: str = "Standard Notebook",
        slug: str | Derived = Derived.FROM_DISPLAY_NAME,
        # Derived from the limits below, so it cannot disagree with them.
        description: str | Derived = Derived.FROM_SIZES,
        default: bool = False,
        image: str = DEFAULT_USER_IMAGE,
        # Always: the reference moves tags; pin a digest in image to make this cheap.
        image_pull_policy: ImagePullPolicy = ImagePullPolicy.ALWAYS,
        cpu_request: str = "1",
        cpu_limit: str = "4",
        memory_request: str = "256M",
        memory_limit: str = "32G",
        gpus: int = 0,
        runtime_class_name: str | None = None,
        extra_resource_guarantees: Mapping[str, str] = _NONE,
        extra_resource_limits: Mapping[str, str] = _NONE,
        # None by default: a volume is a decision (host paths need a privileged namespace).
        # UserVolume.reference_set() is the reference's (dev's).
        volumes: Sequence[UserVolume] = (),
        # No Kubernetes API token in the user's pod unless the profile needs one.
        service_account_token: bool = False,
        node_selector: Mapping[str, str] = _NONE,
        # GPU_TOLERATION for a profile with GPUs (GPU node pools are tainted so that only
        # pods asking for GPUs land there), else none.
        tolerations: Sequence[Toleration] | Derived = Derived.FROM_GPUS,
        affinity: Sequence[Affinity] = (),
        default_url: str | None = None,
        options: Mapping[str, ProfileOption] = _NO_OPTIONS,
        extra_containers: Sequence[UserContainer] = (),
        init_containers: Sequence[UserContainer] = (),
    ) -> None:
        super().__init__(scope, id)
        # Read before any other check (the slug is derived from the name).
        check_instance(self, "display_name", display_name, str)
        check_instance(self, "default", default, bool)
        image_pull_policy = check_enum(
            self, "image_pull_policy", image_pull_policy, ImagePullPolicy
        )
        check_arguments(
            self,
            NotebookProfile.__init__,
            extra_resource_guarantees=extra_resource_guarantees,
            extra_resource_limits=extra_resource_limits,
            node_selector=node_selector,
        )
        self.slug = _check_slug(self, slug, display_name)
        if not display_name.strip():
            raise invalid(self, "display_name", display_name, "must not be empty")
        check_image(self, "image", image)
        # Kubernetes quantities, read once as Kubernetes reads them ("32G" is 32 * 10**9
        # bytes): the hub and the quota take these numbers.
        sizes = check_sizes(
            self,
            "",
            cpu_request=cpu_request,
            cpu_limit=cpu_limit,
            memory_request=memory_request,
            memory_limit=memory_limit,
        )
        if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 0:
            raise invalid(self, "gpus", gpus, "must be a whole number of GPUs, 0 or more")
        if not isinstance(description, (str, Derived)):
            raise invalid(self, "description", description, "must be a string")
        # Derived after the options (their choices' sizes count).
        written = resolve(self, "description", description, Derived.FROM_SIZES, str)
        if runtime_class_name is not None:
            check_dns_label(self, "runtime_class_name", runtime_class_name)
        guarantees = dict(extra_resource_guarantees)
        limits = dict(extra_resource_limits)
        if not isinstance(service_account_token, bool):
            raise invalid(
                self, "service_account_token", service_account_token, "must be True or False"
            )
        if gpus:
            # GPUs cannot be overcommitted: guarantee and limit are the same.
            guarantees.setdefault("nvidia.com/gpu", str(gpus))
            limits.setdefault("nvidia.com/gpu", str(gpus))
        for label, given in (
            ("extra_resource_guarantees", guarantees),
            ("extra_resource_limits", limits),
        ):
            for resource, quantity in given.items():
                _check_extra_resource(self, f"{label}[{resource!r}]", resource, quantity)
        for resource, quantity in guarantees.items():
            if resource in limits:
                check_range(
                    self,
                    f"extra_resource_guarantees[{resource!r}]",
                    quantity,
                    f"extra_resource_limits[{resource!r}]",
                    limits[resource],
                )
                if "/" in resource and (
                    parse_quantity(quantity) != parse_quantity(limits[resource])
                ):
                    raise invalid(
                        self,
                        f"extra_resource_limits[{resource!r}]",
                        limits[resource],
                        f"must equal extra_resource_guarantees[{resource!r}] "
                        f"({quantity}): Kubernetes does not overcommit extended "
                        "resources",
                    )
        if isinstance(volumes, (str, UserVolume)) or not isinstance(volumes, Sequence):
            raise invalid(self, "volumes", volumes, "must be a list of UserVolume")
        chosen = tuple(volumes)
        names: set[str] = set()
        for index, volume in enumerate(chosen):
            volume.check(self, f"volumes[{index}]")
            if volume.name in names:
                raise invalid(self, f"volumes[{index}].name", volume.name, "must be unique")
            names.add(volume.name)
        claims = [index for index, volume in enumerate(chosen) if volume.claim is not None]
        if len(claims) > 1:
            raise invalid(
                self,
                f"volumes[{claims[1]}]",
                chosen[claims[1]].name,
                "must not be a second persistent claim (KubeSpawner makes one claim per server)",
            )
        scheduling = Scheduling.of(
            self,
            node_selector=node_selector,
            tolerations=resolve(
                self,
                "tolerations",
                tolerations,
                Derived.FROM_GPUS,
                lambda: (GPU_TOLERATION,) if gpus else (),
            ),
            affinity=affinity,
        )
        check_default_url(self, "default_url", default_url)
        if not isinstance(options, Mapping):
            raise invalid(self, "options", options, "must be a mapping of key to ProfileOption")
        option_settings = []
        for key, option in options.items():
            if not isinstance(option, ProfileOption):
                raise invalid(self, f"options[{key!r}]", option, "must be a ProfileOption")
            option_settings.append(option.to_settings(self, "options", key))
        taken = set(RESERVED_NAMES) | {f"chown-{v.name}" for v in chosen if v.owner}
        fields = sorted(PATH_FIELDS)
        extras = check_containers(self, "extra_containers", extra_containers, fields, taken)
        inits = check_containers(self, "init_containers", init_containers, fields, taken)

        self.display_name = display_name
        self.default = default
        self.volumes = chosen
        self.settings = ProfileSettings(
            slug=self.slug,
            display_name=display_name,
            description=written,
            default=default,
            image=image,
            image_pull_policy=image_pull_policy.value,
            cpu_request_millicores=sizes.cpu_request_millicores,
            cpu_limit_millicores=sizes.cpu_limit_millicores,
            memory_request_bytes=sizes.memory_request_bytes,
            memory_limit_bytes=sizes.memory_limit_bytes,
            extra_resource_guarantees=dict(sorted(guarantees.items())),
            extra_resource_limits=dict(sorted(limits.items())),
            runtime_class_name=runtime_class_name,
            service_account_token=service_account_token,
            volumes=tuple(_as_settings(volume) for volume in chosen),
            annotations={},
            scheduling=scheduling.kubespawner_override(),
            default_url=default_url,
            options=tuple(option_settings),
            extra_containers=tuple(c.to_settings(image_pull_policy.value) for c in extras),
            init_containers=tuple(c.to_settings(image_pull_policy.value) for c in inits),
        )
        check_variants(self, "options", self.settings)
        if description is Derived.FROM_SIZES:
            self.settings = dataclasses.replace(
                self.settings, description=describe_profile(self.settings)
            )
        self.scheduling = scheduling
        self.scan_exceptions: dict[str, str] = dict(unpinned(image))
        for choice in (c for option in option_settings for c in option.choices):
            self.scan_exceptions |= unpinned(choice.image or image)
        for container in (*self.settings.extra_containers, *self.settings.init_containers):
            self.scan_exceptions |= unpinned(container.image)
            self.scan_exceptions |= pulled_if_absent(container.image_pull_policy)
        if any(volume.owner for volume in chosen):
            chown = "the chown init container runs as root with only CHOWN added"
            self.scan_exceptions |= {"CKV_K8S_23": chown, "CKV_K8S_25": chown, "CKV_K8S_37": chown}

    @property
    def needs_privileged_pods(self) -> bool:
        """Host paths or a root chown init container rule out the stricter Pod Security levels."""
        return any(volume.host_path is not None or volume.owner for volume in self.volumes)


def _check_slug(scope: Construct, slug: str | Derived, display_name: str) -> str:
    """The slug given, or the one derived from ``display_name``; a derived one that is no DNS
    label (``'🚀'`` leaves nothing) is display_name's fault, and ``slug=`` the way out."""
    chosen = resolve(scope, "slug", slug, Derived.FROM_DISPLAY_NAME, lambda: _slugify(display_name))
    try:
        return check_dns_label(scope, "slug", chosen)
    except ValueError:
        if slug is not Derived.FROM_DISPLAY_NAME:
            raise
        raise invalid(
            scope,
            "display_name",
            display_name,
            f"must give a slug that is a DNS label (it gives {chosen!r}): pass slug= as well, "
            "e.g. slug='gpu-notebook'",
        ) from None


def _slugify(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())
