"""Containers a profile adds to its user pods: sidecars beside the notebook, init containers
before it (KubeSpawner's ``extra_containers`` and ``init_containers``)."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field

from constructs import Construct

from constructs_lib._core._checks import check_image, check_instance, check_strings
from constructs_lib._core._derived import Derived
from constructs_lib._core._errors import invalid
from constructs_lib._core._names import check_dns_label
from constructs_lib._core._pull_policy import ImagePullPolicy
from constructs_lib._pods.pod import Resources
from hub_runtime.frozen import frozen
from hub_runtime.pod_security import NOTEBOOK_UID
from hub_runtime.settings import ContainerSettings

__all__ = ["NOTEBOOK_UID", "UserContainer"]

# What Kubernetes accepts as an environment variable name.
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
# Names the pod already uses: KubeSpawner's notebook container, Istio's injected ones.
RESERVED_NAMES = frozenset({"notebook", "istio-proxy", "istio-init", "istio-validation"})


@frozen
class UserContainer:
    """A container of the user pod besides the notebook, or an init container that runs
    (after the volumes' chown) before it. It runs with the notebook container's restricted
    security context (non-root, no privilege escalation, every capability dropped, seccomp
    ``RuntimeDefault``) as ``run_as_user``.

    Strings in ``command``, ``args`` and ``env`` may use the template fields user-pod paths
    may (``{user}``, ``{username}``...); write a literal brace twice (``{{``), as KubeSpawner
    expands every string of these containers.
    """

    name: str
    image: str
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    # The chown init container's size (UserPods.init_cpu / init_memory), requested and
    # limited: enough for a small helper, not for real work.
    resources: Resources | Derived = Derived.FROM_USER_PODS
    image_pull_policy: ImagePullPolicy | Derived = Derived.FROM_PROFILE
    run_as_user: int = NOTEBOOK_UID

    def check(self, scope: Construct, field: str, template_fields: Iterable[str]) -> None:
        check_dns_label(scope, f"{field}.name", self.name)
        if self.name in RESERVED_NAMES:
            raise invalid(
                scope,
                f"{field}.name",
                self.name,
                f"must not be one the pod already uses ({', '.join(sorted(RESERVED_NAMES))})",
            )
        check_image(scope, f"{field}.image", self.image)
        fields = frozenset(template_fields)
        for name in ("command", "args"):
            for index, item in enumerate(
                check_strings(scope, f"{field}.{name}", getattr(self, name))
            ):
                _check_template(scope, f"{field}.{name}[{index}]", item, fields)
        if not isinstance(self.env, Mapping):
            raise invalid(scope, f"{field}.env", self.env, "must be a mapping of name to value")
        for key, value in self.env.items():
            if not isinstance(key, str) or not _ENV_NAME.fullmatch(key):
                raise invalid(
                    scope,
                    f"{field}.env",
                    key,
                    "must have names of letters, digits, '_', '-' and '.', not starting with "
                    "a digit",
                )
            check_instance(scope, f"{field}.env[{key!r}]", value, str)
            _check_template(scope, f"{field}.env[{key!r}]", value, fields)
        if self.image_pull_policy is not Derived.FROM_PROFILE:
            check_instance(
                scope, f"{field}.image_pull_policy", self.image_pull_policy, ImagePullPolicy
            )
        if self.resources is not Derived.FROM_USER_PODS:
            check_instance(scope, f"{field}.resources", self.resources, Resources)
        if isinstance(self.resources, Resources):
            self.resources.check(scope, f"{field}.resources")
        if (
            isinstance(self.run_as_user, bool)
            or not isinstance(self.run_as_user, int)
            or self.run_as_user < 1
        ):
            raise invalid(
                scope,
                f"{field}.run_as_user",
                self.run_as_user,
                "must be a uid of 1 or more (user pods run no container as root)",
            )

    def to_settings(self, pull_policy: str) -> ContainerSettings:
        # No sizes in the settings: the hub gives the spawner's init sizes (as for the chown).
        resources = self.resources if isinstance(self.resources, Resources) else None
        pull = self.image_pull_policy
        return ContainerSettings(
            name=self.name,
            image=self.image,
            image_pull_policy=pull.value if isinstance(pull, ImagePullPolicy) else pull_policy,
            command=tuple(self.command),
            args=tuple(self.args),
            env=dict(sorted(self.env.items())),
            cpu_request=resources.cpu_request if resources else None,
            cpu_limit=resources.cpu_limit if resources else None,
            memory_request=resources.memory_request if resources else None,
            memory_limit=resources.memory_limit if resources else None,
            run_as_user=self.run_as_user,
        )


def check_containers(
    scope: Construct,
    field: str,
    containers: Sequence[UserContainer],
    template_fields: Iterable[str],
    taken: set[str],
) -> tuple[UserContainer, ...]:
    """Checked, each name unused in the pod (``taken`` grows by the names)."""
    if isinstance(containers, (str, UserContainer)) or not isinstance(containers, Sequence):
        raise invalid(scope, field, containers, "must be a list of UserContainer")
    for index, container in enumerate(containers):
        check_instance(scope, f"{field}[{index}]", container, UserContainer)
        container.check(scope, f"{field}[{index}]", template_fields)
        if container.name in taken:
            raise invalid(
                scope,
                f"{field}[{index}].name",
                container.name,
                "must be unique among the pod's containers and init containers",
            )
        taken.add(container.name)
    return tuple(containers)


def _check_template(scope: Construct, field: str, value: str, fields: frozenset[str]) -> None:
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError:
        parsed = [("", "{", "", None)]
    for _, name, spec, conversion in parsed:
        if name is not None and (name not in fields or spec or conversion):
            known = "}, {".join(sorted(fields))
            raise invalid(
                scope,
                field,
                value,
                f"may only use the template fields {{{known}}} (write a literal brace twice: "
                "'{{' or '}}')",
            )
