"""What an app module gives the synthesizer: a cdk8s App and what it declares external."""

from __future__ import annotations

from dataclasses import dataclass

import cdk8s

from constructs_lib import External

__all__ = ["BuiltApp"]


@dataclass(frozen=True)
class BuiltApp:
    name: str
    app: cdk8s.App
    external: External
