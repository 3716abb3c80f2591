"""Snapshots as YAML files, so that a snapshot diff reads like a manifest diff."""

from __future__ import annotations

from typing import Any

import yaml
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (settings.json in the hub ConfigMap) as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


class YamlSnapshot(SingleFileSnapshotExtension):
    """One YAML file per snapshot."""

    file_extension = "yaml"
    _write_mode = WriteMode.TEXT

    def serialize(self, data: Any, **kwargs: Any) -> str:
        # Unicode as written (the hub runtime's source in the hub ConfigMap has some).
        return yaml.dump(
            data,
            Dumper=_Dumper,
            sort_keys=True,
            default_flow_style=False,
            width=100,
            allow_unicode=True,
        )
