"""One meaning for a resource size: a Kubernetes quantity in, the same amount in the user pod.

Each quantity goes through a profile into the hub settings and through KubeSpawner's own
profile loading (``load_user_options``, then ``get_pod_manifest``, as the hub does at spawn);
the pod must carry exactly the quantity's value.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import cdk8s
import pytest
from traitlets.config import Config

from constructs_lib import NotebookProfile
from hub_runtime.config import apply
from hub_runtime.preview import render_user_objects
from hub_runtime.settings import HubSettings, SettingsError, dump_settings, parse_settings
from tests.support.manifests import ROOT, read_manifests

# (quantity, bytes): binary and decimal suffixes, exponents, fractions, plain bytes.
MEMORY = [
    ("8Gi", 8 * 2**30),
    ("256Mi", 256 * 2**20),
    ("32G", 32 * 10**9),
    ("1e9", 10**9),
    ("1.5Gi", 3 * 2**29),
    ("500M", 500 * 10**6),
    ("0.5Gi", 2**29),
    ("128974848", 128974848),
    ("129e6", 129 * 10**6),
    ("129E6", 129 * 10**6),
    ("64Ki", 64 * 2**10),
    ("1k", 1000),
    ("2Ti", 2 * 2**40),
    ("1T", 10**12),
    (".5Mi", 2**19),
    ("1.5M", 1500000),
]
# (quantity, cores)
CPU = [
    ("500m", Decimal("0.5")),
    ("1", Decimal(1)),
    ("1.5", Decimal("1.5")),
    ("2500m", Decimal("2.5")),
    ("2e0", Decimal(2)),
    ("100m", Decimal("0.1")),
    ("0.1", Decimal("0.1")),
    ("4", Decimal(4)),
]


@pytest.fixture(scope="module")
def settings() -> HubSettings:
    config_map = next(
        m for m in read_manifests(ROOT / "dist" / "minimal") if m["kind"] == "ConfigMap"
    )
    return parse_settings(config_map["data"]["settings.json"])


_SIZES = (
    "cpu_request_millicores",
    "cpu_limit_millicores",
    "memory_request_bytes",
    "memory_limit_bytes",
)


def _spawn(settings: HubSettings, **resources: Any) -> dict[str, Any]:
    """The pod of a profile with these sizes (quantities), through the hub's settings."""
    chart = cdk8s.Chart(cdk8s.Testing.app(), "test")
    sized = NotebookProfile(chart, "P", **resources).settings
    profile = dataclasses.replace(
        settings.profiles[0], **{name: getattr(sized, name) for name in _SIZES}
    )
    pod, *_ = render_user_objects(
        dataclasses.replace(settings, profiles=(profile,)),
        namespace="jupyterhub",
        user="alice",
        admin=False,
        profile=profile.slug,
    )
    container: dict[str, Any] = pod["spec"]["containers"][0]
    return container


@pytest.mark.parametrize(("quantity", "size"), MEMORY)
def test_memory_reaches_the_pod_as_its_value(
    settings: HubSettings, quantity: str, size: int
) -> None:
    container = _spawn(settings, memory_request=quantity, memory_limit=quantity)
    resources = container["resources"]
    assert (resources["requests"]["memory"], resources["limits"]["memory"]) == (size, size)
    env = {e["name"]: e["value"] for e in container["env"]}
    assert (env["MEM_GUARANTEE"], env["MEM_LIMIT"]) == (str(size), str(size))


@pytest.mark.parametrize(("quantity", "cores"), CPU)
def test_cpu_reaches_the_pod_as_its_value(
    settings: HubSettings, quantity: str, cores: Decimal
) -> None:
    resources = _spawn(settings, cpu_request=quantity, cpu_limit=quantity)["resources"]
    assert Decimal(str(resources["requests"]["cpu"])) == cores
    assert Decimal(str(resources["limits"]["cpu"])) == cores


def test_hub_refuses_a_size_kubernetes_would_not_read(
    settings: HubSettings, tmp_path: Path
) -> None:
    """A hand-edited settings file stops the hub at start, naming the profile and field: the
    sizes there are numbers (bytes), read from their quantities by the constructs."""
    data = json.loads(dump_settings(settings))
    data["profiles"][0]["memory_limit_bytes"] = "32GB"
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SettingsError) as error:
        apply(Config(), path)
    assert str(error.value) == (
        f"{path}: profiles[0].memory_limit_bytes must be an integer, got '32GB'"
    )
