"""When the kubelet pulls an image (its own module: profiles and the containers they add
both name it)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ImagePullPolicy"]


class ImagePullPolicy(StrEnum):
    ALWAYS = "Always"
    IF_NOT_PRESENT = "IfNotPresent"
    NEVER = "Never"
