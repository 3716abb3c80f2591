"""The Kubernetes version the output targets: decides which newer fields may be emitted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

__all__ = ["KubernetesVersion"]


@dataclass(frozen=True, order=True)
class KubernetesVersion:
    """A Kubernetes minor release, ``KubernetesVersion.of("1.33")``.

    Supported from 1.28 (the API level of cdk8s-plus-28); fields that need a newer release are
    left out, or replaced by an older equivalent, for older targets.
    """

    major: int
    minor: int

    OLDEST: ClassVar[KubernetesVersion]
    DEFAULT: ClassVar[KubernetesVersion]

    @classmethod
    def of(cls, text: str) -> KubernetesVersion:
        pattern = r"v?(\d+)\.(\d+)(?:\.\d+)?"
        match = re.fullmatch(pattern, text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"kubernetes_version must look like '1.33', got {text!r}")
        version = cls(int(match[1]), int(match[2]))
        if version < cls.OLDEST:
            raise ValueError(
                f"kubernetes_version must be {cls.OLDEST} or newer, got {text!r}"
            )
        return version

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
KubernetesVersion.DEFAULT = KubernetesVersion(1, 33)
