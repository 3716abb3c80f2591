"""Deliberate exceptions to manifest security scanning, stated on the object with a reason.

checkov reads ``checkov.io/skip<N>: <check id>=<reason>`` annotations; every exception this
library makes is listed in docs/design/security.md (Scanning).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "DIGEST",
    "PULL_IF_ABSENT",
    "SECRET_ENV",
    "pulled_if_absent",
    "skip_annotations",
    "unpinned",
]

SECRET_ENV = {
    "CKV_K8S_35": "CONFIGPROXY_AUTH_TOKEN is read from the environment by CHP and JupyterHub",
}
DIGEST = {"CKV_K8S_43": "image given by tag; pass an image reference with @sha256: to pin it"}
PULL_IF_ABSENT = {
    "CKV_K8S_15": "IfNotPresent by choice: a node runs its copy of the image, "
    "pulled before or side-loaded"
}


def unpinned(image: str) -> Mapping[str, str]:
    """The digest exception, only for an image given by tag."""
    return {} if "@sha256:" in image else DIGEST


def pulled_if_absent(pull_policy: str) -> Mapping[str, str]:
    """The pull-policy exception, for any policy but Always."""
    return {} if pull_policy == "Always" else PULL_IF_ABSENT


def skip_annotations(*reasons: Mapping[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in reasons:
        merged.update(part)
    return {
        f"checkov.io/skip{index}": f"{check}={merged[check]}"
        for index, check in enumerate(sorted(merged), start=1)
    }
