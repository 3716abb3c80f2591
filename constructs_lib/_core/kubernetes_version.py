"""The Kubernetes version the output targets: decides which newer fields may be emitted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from constructs import Construct

from constructs_lib._core._errors import invalid

__all__ = ["KubernetesVersion"]


@dataclass(frozen=True, order=True)
class KubernetesVersion:
    """A Kubernetes minor release, ``KubernetesVersion.of("1.33")``.

    Supported from 1.28 (the API level of cdk8s-plus-28) to 1.37 (the newest release whose
    strict schemas the tests validate the output against); fields that need a newer release are
    left out, or replaced by an older equivalent, for older targets.
    """

    major: int
    minor: int

    OLDEST: ClassVar[KubernetesVersion]
    NEWEST: ClassVar[KubernetesVersion]
    DEFAULT: ClassVar[KubernetesVersion]

    @classmethod
    def of(cls, text: str) -> KubernetesVersion:
        pattern = r"v?(\d+)\.(\d+)(?:\.\d+)?"
        match = re.fullmatch(pattern, text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"kubernetes_version must look like '1.33', got {text!r}")
        version = cls(int(match[1]), int(match[2]))
        problem = version.problem()
        if problem is not None:
            raise ValueError(f"kubernetes_version {problem}, got {text!r}")
        return version

    def problem(self) -> str | None:
        """Why this version cannot be targeted, or None."""
        if self < self.OLDEST:
            return f"must be {self.OLDEST} or newer"
        if self > self.NEWEST:
            return (
                f"must be {self.NEWEST} or older (the newest whose API schemas the output "
                "is validated against)"
            )
        return None

    def check(self, scope: Construct, field: str = "kubernetes_version") -> None:
        """The same rule as :meth:`of`, for a version built directly, naming the construct."""
        if not isinstance(self, KubernetesVersion):
            raise invalid(
                scope, field, self, "must be a KubernetesVersion, e.g. KubernetesVersion.of('1.33')"
            )
        problem = self.problem()
        if problem is not None:
            raise invalid(scope, field, str(self), problem)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def has_sleep_action(self) -> bool:
        """``lifecycle.preStop.sleep`` is served from 1.30."""
        return (self.major, self.minor) >= (1, 30)

    @property
    def has_traffic_distribution(self) -> bool:
        """``Service.spec.trafficDistribution`` is served from 1.31."""
        return (self.major, self.minor) >= (1, 31)


KubernetesVersion.OLDEST = KubernetesVersion(1, 28)
# Raise with the schemas the tests validate against (tests/conftest.py VERSIONS).
KubernetesVersion.NEWEST = KubernetesVersion(1, 37)
KubernetesVersion.DEFAULT = KubernetesVersion(1, 33)
