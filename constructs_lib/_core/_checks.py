"""Construct-time checks of prop types and image references, in the shape of ``invalid``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum
from typing import Any, TypeVar

from constructs import Construct

from constructs_lib._core._errors import invalid
from constructs_lib._core._names import check_dns_subdomain

__all__ = [
    "check_enum",
    "check_image",
    "check_instance",
    "check_strings",
    "enum_members",
    "type_name",
]

E = TypeVar("E", bound=Enum)

# The grammar of the distribution project's reference package (what docker and the kubelet
# parse): [registry[:port]/]path[:tag][@digest], path components lower-case.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_IMAGE = re.compile(
    rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[\w][\w.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
)


# The digests a runtime pulls by (opencontainers/go-digest algorithm.go: algorithms and
# anchoredEncodedRegexps; Digest.Validate refuses any other algorithm, length or upper-case
# hex, and so does the kubelet's pull): the reference grammar above admits more.
_DIGEST_HEX_DIGITS = {"sha256": 64, "sha384": 96, "sha512": 128}
_DIGEST_RULE = (
    "must pin its digest as sha256: and 64 lower-case hex digits (sha384: 96, sha512: 128), "
    "as `docker buildx imagetools inspect` prints it"
)


_PLAIN = {int: "a whole number", bool: "True or False", str: "a string", type(None): "None"}


def type_name(expected: type | tuple[type, ...]) -> str:
    """``a whole number``, ``an IstioSidecar or None``: what a user would call the types."""
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(
        _PLAIN.get(t) or f"{'an' if t.__name__[0] in 'AEIO' else 'a'} {t.__name__}" for t in types
    )


def check_instance(
    scope: Construct, field: str, value: Any, expected: type | tuple[type, ...]
) -> None:
    """``value`` must be an instance of ``expected`` (a bool is not an int here)."""
    types = expected if isinstance(expected, tuple) else (expected,)
    # True is an int to Python, never a count to a user.
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise invalid(scope, field, value, f"must be {type_name(expected)}")


def enum_members(kind: type[Enum], value: object = None) -> str:
    """``ImagePullPolicy.ALWAYS, ...``: each member as written; for a string ``value``, a
    reminder that a member is wanted (a frozen value keeps what it is given)."""
    members = ", ".join(f"{kind.__name__}.{member.name}" for member in kind)
    return f"{members} (the member, not its string)" if isinstance(value, str) else members


def check_enum(scope: Construct, field: str, value: Any, kind: type[E]) -> E:
    """A member of ``kind``, given as the member or as its value (the string Kubernetes
    writes, such as ``'Always'``)."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except (ValueError, TypeError):
        values = ", ".join(repr(member.value) for member in kind)
        allowed = f"must be one of {enum_members(kind)} or its value ({values})"
        raise invalid(scope, field, value, allowed) from None


def check_strings(scope: Construct, field: str, value: Any) -> tuple[str, ...]:
    """A list of strings; a lone string is refused (it would be read letter by letter)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise invalid(
            scope,
            field,
            value,
            "must be a list of strings, not a single string"
            if isinstance(value, str)
            else "must be a list of strings",
        )
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise invalid(scope, f"{field}[{index}]", item, "must be a string")
    return tuple(value)


def check_image(scope: Construct, field: str, value: Any) -> str:
    """An image reference such as ``quay.io/jupyterhub/k8s-hub:4.4.0`` or ``name@sha256:…``."""
    if not isinstance(value, str) or len(value) > 4096 or not _IMAGE.fullmatch(value):
        raise invalid(
            scope,
            field,
            value,
            "must be an image reference like 'registry.example.org/repo/name:tag' "
            "(lower-case repository path, optional tag and @sha256 digest)",
        )
    _, at, digest = value.partition("@")
    if at:
        algorithm, _, encoded = digest.partition(":")
        digits = _DIGEST_HEX_DIGITS.get(algorithm)
        if digits is None or not re.fullmatch(f"[0-9a-f]{{{digits}}}", encoded):
            raise invalid(scope, field, value, _DIGEST_RULE)
    return value


def check_image_pull_secrets(scope: Construct, field: str, names: Any) -> tuple[str, ...]:
    """Names of Secrets with registry credentials: DNS subdomains, none twice."""
    chosen = check_strings(scope, field, names)
    for index, name in enumerate(chosen):
        check_dns_subdomain(scope, f"{field}[{index}]", name)
        if name in chosen[:index]:
            raise invalid(scope, f"{field}[{index}]", name, "must be unique")
    return chosen
