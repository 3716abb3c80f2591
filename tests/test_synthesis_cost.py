"""What synthesis asks of jsii's Node.js process: one round trip per batch of objects, the same
traffic for every hub added to an app, and the app prepared once per synthesis, not once per chart.

Counted, not timed: the requests Python sends and the bytes Node.js answers with.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cdk8s
import constructs
import pytest
import yaml
from jsii._kernel.providers import process

import jsii
from constructs_lib._core._objects import (
    api_object,
    api_objects,
    manifests_of,
    name_of,
    object_spec,
)
from constructs_lib._core._props import check_value
from constructs_lib._imports.manifest import Manifest
from scripts.bench_scale import build
from scripts.bench_synth import SAME_DOCUMENTS, differing_files, documents_as_specs
from tests.support.commands import run
from tests.support.manifests import ROOT


@dataclass
class Traffic:
    requests: int = 0
    received: int = 0


@contextmanager
def counting() -> Iterator[Traffic]:
    """Counts every request to jsii's Node.js process and the size of its answers."""
    counted = Traffic()
    send = process._NodeProcess.send
    next_message = process._NodeProcess._next_message

    def counting_send(self: Any, request: Any, response_type: Any) -> Any:
        counted.requests += 1
        return send(self, request, response_type)

    def counting_next(self: Any) -> Any:
        message = next_message(self)
        counted.received += len(json.dumps(message, default=str))
        return message

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(process._NodeProcess, "send", counting_send)
        patch.setattr(process._NodeProcess, "_next_message", counting_next)
        yield counted


def test_an_object_is_created_in_one_round_trip(chart: cdk8s.Chart) -> None:
    with counting() as traffic:
        api_object(
            chart,
            "Settings",
            api_version="v1",
            kind="ConfigMap",
            name="settings",
            labels={"app": "x"},
            immutable=True,
            data={"b": "1", "a": "2"},
        )
    assert traffic.requests == 1


def test_objects_of_one_scope_are_created_in_one_round_trip(chart: cdk8s.Chart) -> None:
    specs = [
        object_spec(
            f"Settings{index}",
            api_version="v1",
            kind="ConfigMap",
            name=f"settings-{index}",
            labels={"app": "x"},
            data={"index": str(index), "unset": None},
        )
        for index in range(20)
    ]
    with counting() as traffic:
        made = api_objects(chart, specs)
    assert traffic.requests == 1
    # The objects in the order given, by the ids given, each an escape hatch.
    assert [obj.node.id for obj in made] == [s.id for s in specs]
    assert [name_of(obj) for obj in made] == [f"settings-{i}" for i in range(20)]
    made[3].add_json_patch(cdk8s.JsonPatch.add("/data/extra", "y"))
    manifests = cdk8s.Testing.synth(chart)
    assert [m["metadata"]["name"] for m in manifests] == [f"settings-{i}" for i in range(20)]
    # None values are left out at every depth, as jsii leaves out a mapping's None values.
    assert manifests[0]["data"] == {"index": "0"}
    assert manifests[3]["data"] == {"index": "3", "extra": "y"}


def test_manifests_are_read_back_in_one_round_trip(chart: cdk8s.Chart) -> None:
    specs = [
        object_spec(
            f"Object{index}",
            api_version="v1",
            kind=kind,
            name=f"object-{index}",
            labels={"app": "x"},
            data={"index": str(index)},
        )
        for index, kind in enumerate(["ConfigMap", "Secret", "ConfigMap", "Service"])
    ]
    made = api_objects(chart, specs)
    made[2].add_json_patch(cdk8s.JsonPatch.add("/data/extra", "y"))
    with counting() as traffic:
        read = manifests_of([chart], {"ConfigMap", "Secret"})
    assert traffic.requests == 1
    # What to_json() gives of each, patches applied, in the order find_all() walks.
    assert read == [obj.to_json() for obj in made[:3]]
    assert read[2]["data"] == {"index": "2", "extra": "y"}
    assert manifests_of([chart], {"Pod"}) == []


def test_a_valid_value_of_a_union_asks_jsii_nothing(chart: cdk8s.Chart) -> None:
    # Trying the union's other members must not build their errors: each names the path,
    # which is a round trip.
    with counting() as traffic:
        for value in (None, 3, "3", [3]):
            check_value(chart, "field", value, int | str | list[int] | None)
    assert traffic.requests == 0
    refused = r"^test: field must be a whole number or a string or a list or None, got 2.5$"
    with pytest.raises(ValueError, match=refused):
        check_value(chart, "field", 2.5, int | str | list[int] | None)


def test_a_body_that_is_not_a_json_object_is_refused(chart: cdk8s.Chart) -> None:
    # Manifest is private to the library; what it refuses, it names.
    with pytest.raises(RuntimeError, match=r"Manifest\.many: specsJson is not a JSON array"):
        Manifest.many(chart, json.dumps({"id": "x"}))
    with pytest.raises(RuntimeError, match="Manifest x: the body is not a JSON object"):
        Manifest.many(chart, json.dumps([{"id": "x", "apiVersion": "v1", "kind": "A", "body": []}]))
    with pytest.raises(RuntimeError, match="JSON"):
        Manifest.many(chart, "[{")
    for bad in ({"b"}, float("nan")):
        with pytest.raises(ValueError, match=r"^test: A y must hold JSON values only, got "):
            api_object(chart, "Y", api_version="v1", kind="A", name="y", labels={}, data=bad)
    # Nothing was made of the refused batch.
    assert chart.node.try_find_child("Y") is None


def test_escape_hatch_patches_apply_after_the_body(chart: cdk8s.Chart) -> None:
    obj = api_object(
        chart,
        "Settings",
        api_version="v1",
        kind="ConfigMap",
        name="settings",
        labels={"app": "x"},
        data={"b": "1", "a": "2"},
        binaryData=None,
    )
    obj.add_json_patch(cdk8s.JsonPatch.add("/data/c", "3"), cdk8s.JsonPatch.replace("/data/a", "x"))
    obj.metadata.add_label("extra", "y")
    (manifest,) = cdk8s.Testing.synth(chart)
    # The body's keys in the order given (not sorted), None left out, the patches after it.
    assert list(manifest) == ["apiVersion", "kind", "metadata", "data"]
    assert list(manifest["data"].items()) == [("b", "1"), ("a", "x"), ("c", "3")]
    assert manifest["metadata"]["labels"] == {"app": "x", "extra": "y"}
    assert manifest["metadata"]["namespace"] == "jupyterhub"


def _added_traffic(hubs: int) -> Traffic:
    """The traffic of building an app of ``hubs`` hubs, less that of one hub fewer."""
    sizes = []
    for count in (hubs - 1, hubs):
        with tempfile.TemporaryDirectory() as outdir, counting() as traffic:
            build(outdir, count, 2)
        sizes.append(traffic)
    return Traffic(sizes[1].requests - sizes[0].requests, sizes[1].received - sizes[0].received)


def test_each_hub_adds_the_same_traffic() -> None:
    # Checking a hub against the others of the app once walked the whole app (for each hub,
    # proxy and namespace), so each hub added more than the one before.
    second, sixth = _added_traffic(2), _added_traffic(6)
    assert sixth.requests == second.requests
    assert sixth.received <= second.received * 1.02


@jsii.implements(constructs.IValidation)
class _CountingValidation:
    def __init__(self) -> None:
        self.calls = 0

    def validate(self) -> list[str]:
        self.calls += 1
        return []


def test_an_app_is_validated_once_per_synthesis(tmp_path: Path) -> None:
    app = cdk8s.App(outdir=str(tmp_path))
    charts = [cdk8s.Chart(app, f"chart{index}") for index in range(4)]
    validation = _CountingValidation()
    charts[0].node.add_validation(validation)
    for index, chart in enumerate(charts):
        api_object(
            chart,
            "Settings",
            api_version="v1",
            kind="ConfigMap",
            name=f"settings-{index}",
            labels={},
            data={"index": str(index)},
        )
    charts[1].add_dependency(charts[0])
    app.synth()
    # cdk8s prepares the whole app again for every chart it renders; not within one synth.
    assert validation.calls == 1
    written = {p.name: list(yaml.safe_load_all(p.read_text())) for p in tmp_path.iterdir()}
    assert {name: [d["metadata"]["name"] for d in docs] for name, docs in written.items()} == {
        "0000-chart0.k8s.yaml": ["settings-0"],
        "0001-chart1.k8s.yaml": ["settings-1"],
        "0002-chart2.k8s.yaml": ["settings-2"],
        "0003-chart3.k8s.yaml": ["settings-3"],
    }
    assert app.synth_yaml().count("kind: ConfigMap") == 4
    assert validation.calls == 2


def test_chart_rendered_alone_is_still_validated(chart: cdk8s.Chart) -> None:
    validation = _CountingValidation()
    chart.node.add_validation(validation)
    cdk8s.Testing.synth(chart)
    assert validation.calls == 1


@pytest.mark.slow
def test_setup_compiles_the_packages_synthesis_imports() -> None:
    # `make setup-synth` installs the project editable, which compiles none of its modules.
    recipe = run(["make", "--dry-run", "--always-make", ".stamps/python"], cwd=ROOT).stdout
    compiled = [line.split() for line in recipe.splitlines() if "compileall" in line]
    assert compiled
    assert {"apps", "constructs_lib", "hub_runtime"} <= set(compiled[-1])


@pytest.mark.slow
def test_the_benchmarks_cdk8s_alone_row_writes_dist_exactly(tmp_path: Path) -> None:
    """bench_synth's "cdk8s alone" floor renders the apps' documents and nothing less."""
    documents_as_specs(tmp_path / "same")
    out = tmp_path / "out"
    run(
        [sys.executable, "-c", SAME_DOCUMENTS, str(out), str(tmp_path / "same/documents.json")],
        env={**os.environ, "PYTHONPATH": str(tmp_path / "same")},
        cwd=tmp_path,
    )
    assert differing_files(out) == []
    written = out / "minimal" / "0001-jupyterhub.k8s.yaml"
    written.write_text(written.read_text().replace("jupyterhub", "jupyterhub2", 1))
    (out / "dev" / "extra.yaml").write_text("")
    assert differing_files(out) == ["dev/extra.yaml", "minimal/0001-jupyterhub.k8s.yaml"]
