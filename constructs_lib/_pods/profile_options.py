"""Choices inside one profile (KubeSpawner's ``profile_options``), and where a server opens.

A choice changes only what a profile itself may set, checked the same way: the image, the
CPU and memory sizes, the URL the server opens at. A GPU count, volumes or scheduling stay the
profile's (a choice there would change what the namespace and its nodes must provide).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from constructs import Construct

from constructs_lib._core._checks import check_image
from constructs_lib._core._errors import invalid
from constructs_lib._core._props import renamed
from constructs_lib._core._quantity import (
    check_cpu,
    check_memory,
    describe_sizes,
    format_memory,
    format_millicores,
)
from hub_runtime.frozen import frozen
from hub_runtime.settings import (
    ChoiceFields,
    ChoiceSettings,
    ProfileOptionSettings,
    ProfileSettings,
)

__all__ = [
    "ProfileChoice",
    "ProfileOption",
    "check_default_url",
    "describe_profile",
    "profile_variants",
]

# Option keys name form fields ("profile-option-<slug>--<key>") and user_options keys: no
# "--" (KubeSpawner's "<key>--unlisted-choice"), and never "profile" (the profile's own key).
_OPTION_KEY = re.compile(r"[a-z0-9](?:[_a-z0-9]|-(?!-)){0,61}[a-z0-9]|[a-z0-9]")
_CHOICE_KEY = re.compile(r"[a-z0-9]([-_.a-z0-9]{0,61}[a-z0-9])?")
# A path under the server's URL: no scheme or host, no "..", no template braces.
_DEFAULT_URL = re.compile(r"/(?!/)[A-Za-z0-9._~/-]*")


def check_default_url(scope: Construct, field: str, url: object) -> str | None:
    if url is None:
        return None
    if (
        not isinstance(url, str)
        or not _DEFAULT_URL.fullmatch(url)
        or ".." in url.split("/")
        or len(url) > 1024
    ):
        raise invalid(
            scope,
            field,
            url,
            "must be a path in the user's server such as '/lab' or '/tree' (letters, digits, "
            "'.', '_', '~', '-' and '/', starting with one '/', no '..')",
        )
    return url


@renamed(cpu_guarantee="cpu_request", mem_guarantee="memory_request", mem_limit="memory_limit")
@frozen
class ProfileChoice(ChoiceFields):
    """One choice of a :class:`ProfileOption`; a field left ``None`` keeps the profile's.
    Sizes are Kubernetes quantities, checked as the profile's are.

    Its other fields (``display_name``, ``default``, ``image``, ``default_url``) are the hub
    settings' (``ChoiceFields``); the settings hold the sizes as numbers."""

    cpu_request: str | None = None
    cpu_limit: str | None = None
    memory_request: str | None = None
    memory_limit: str | None = None

    def check(self, scope: Construct, field: str) -> dict[str, int]:
        """Checked; the sizes it sets, read once (millicores and bytes, by settings field)."""
        if not isinstance(self.display_name, str) or not self.display_name.strip():
            raise invalid(scope, f"{field}.display_name", self.display_name, "must not be empty")
        if not isinstance(self.default, bool):
            raise invalid(scope, f"{field}.default", self.default, "must be True or False")
        if self.image is not None:
            check_image(scope, f"{field}.image", self.image)
        sizes: dict[str, int] = {}
        for name in ("cpu_request", "cpu_limit"):
            if getattr(self, name) is not None:
                cores = check_cpu(scope, f"{field}.{name}", getattr(self, name))
                sizes[f"{name}_millicores"] = int(cores * 1000)
        for name in ("memory_request", "memory_limit"):
            if getattr(self, name) is not None:
                sizes[f"{name}_bytes"] = check_memory(scope, f"{field}.{name}", getattr(self, name))
        check_default_url(scope, f"{field}.default_url", self.default_url)
        return sizes


@frozen
class ProfileOption:
    """A choice users make inside one profile, e.g. the image: ``choices`` by key (the key
    is what a spawn request names). One may be the ``default``; else the first is."""

    display_name: str
    choices: Mapping[str, ProfileChoice]

    def to_settings(self, scope: Construct, field: str, key: str) -> ProfileOptionSettings:
        """Checked, as the hub's settings hold it (the default marked)."""
        if not isinstance(key, str) or not _OPTION_KEY.fullmatch(key) or key == "profile":
            raise invalid(
                scope,
                field,
                key,
                "must have keys of lower-case letters, digits, '_' and single '-' (1-63 "
                "characters, not 'profile')",
            )
        here = f"{field}[{key!r}]"
        if not isinstance(self.display_name, str) or not self.display_name.strip():
            raise invalid(scope, f"{here}.display_name", self.display_name, "must not be empty")
        if not isinstance(self.choices, Mapping) or not self.choices:
            raise invalid(scope, f"{here}.choices", self.choices, "must offer at least one choice")
        for choice_key, choice in self.choices.items():
            if not isinstance(choice_key, str) or not _CHOICE_KEY.fullmatch(choice_key):
                raise invalid(
                    scope,
                    f"{here}.choices",
                    choice_key,
                    "must have keys of lower-case letters, digits, '-', '_' and '.' (1-63 "
                    "characters, starting and ending with a letter or digit)",
                )
            if not isinstance(choice, ProfileChoice):
                raise invalid(
                    scope, f"{here}.choices[{choice_key!r}]", choice, "must be a ProfileChoice"
                )
        sizes: dict[str, dict[str, Any]] = {
            choice_key: choice.check(scope, f"{here}.choices[{choice_key!r}]")
            for choice_key, choice in self.choices.items()
        }
        defaults = [k for k, choice in self.choices.items() if choice.default]
        if len(defaults) > 1:
            raise invalid(
                scope, f"{here}.choices", defaults, "must mark at most one choice as default"
            )
        # The first choice is the default when none is marked (as KubeSpawner does).
        default = defaults[0] if defaults else next(iter(self.choices))
        return ProfileOptionSettings(
            key=key,
            display_name=self.display_name,
            choices=tuple(
                ChoiceSettings(
                    **_shared_fields(choice),
                    key=choice_key,
                    # Resolved: exactly one choice is the default in the settings.
                    default=choice_key == default,
                    **sizes[choice_key],
                )
                for choice_key, choice in self.choices.items()
            ),
        )


def _shared_fields(choice: ProfileChoice) -> dict[str, Any]:
    """The choice's fields the settings hold as given (all of ChoiceFields' but the default,
    which the option resolves)."""
    fields = dataclasses.fields(ChoiceFields)
    return {spec.name: getattr(choice, spec.name) for spec in fields if spec.name != "default"}


# What a choice may change of its profile: the settings fields a choice has and a profile too.
_OVERRIDES = tuple(
    spec.name
    for spec in dataclasses.fields(ChoiceSettings)
    if spec.name not in ("key", "display_name", "default")
)
# Each size: the request and limit fields, the name users give them, and how to show one.
_SIZE_PAIRS = (
    ("cpu_request_millicores", "cpu_limit_millicores", "cpu", format_millicores),
    ("memory_request_bytes", "memory_limit_bytes", "memory", format_memory),
)


def profile_variants(profile: ProfileSettings) -> Iterator[tuple[dict[str, str], ProfileSettings]]:
    """Every pod the profile can spawn: per combination of choices (option key to choice key),
    the profile with those choices applied in the options' order (a later one replaces)."""
    options = profile.options
    for combination in itertools.product(*(option.choices for option in options)):
        changes: dict[str, str | int | None] = {}
        for choice in combination:
            changes.update(
                {name: getattr(choice, name) for name in _OVERRIDES if getattr(choice, name)}
            )
        chosen = {
            option.key: choice.key for option, choice in zip(options, combination, strict=True)
        }
        yield chosen, dataclasses.replace(profile, **changes)  # type: ignore[arg-type]


def check_variants(scope: Construct, field: str, profile: ProfileSettings) -> None:
    """Every combination of choices keeps each guarantee within its limit."""
    for chosen, variant in profile_variants(profile):
        where = "".join(f"[{k!r}={v!r}]" for k, v in chosen.items())
        for request, limit, resource, show in _SIZE_PAIRS:
            low, high = getattr(variant, request), getattr(variant, limit)
            if high < low:
                raise invalid(
                    scope,
                    f"{field}{where}.{resource}_limit",
                    show(high),
                    f"must be at least {field}{where}.{resource}_request ({show(low)})",
                )


# The extended resource of NVIDIA's device plugin, as a profile's limits name it.
_GPU = "nvidia.com/gpu"


def describe_profile(profile: ProfileSettings) -> str:
    """The limits of every pod the profile can spawn, as a person compares them: ``4 CPU /
    32 GB RAM``, ``/ 1 GPU`` with GPUs, and a range where the choices change a limit."""
    variants = [variant for _, variant in profile_variants(profile)]
    return describe_sizes(
        [variant.cpu_limit_millicores for variant in variants],
        [variant.memory_limit_bytes for variant in variants],
        # Whole numbers (checked): a choice does not change them.
        [int(profile.extra_resource_limits.get(_GPU, "0"))],
    )
