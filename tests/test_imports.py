"""constructs_lib/_imports/ is exactly what scripts/import_crds.py generates from crds/ and
jsii/ (never hand-edited), and generating it touches nothing else in the project."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from scripts.node_bin import link
from tests.support.commands import run
from tests.support.manifests import ROOT

BINDINGS = Path("constructs_lib") / "_imports"


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch copy of the project's generator and its inputs, after `make imports` ran in
    it (the generator works on the copy it is part of)."""
    project = tmp_path_factory.mktemp("project")
    for name in ("scripts", "crds", "jsii"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "cdk8s.yaml", project / "cdk8s.yaml")
    node_bin = link(tmp_path_factory.mktemp("bin"))
    env = {
        **os.environ,
        "PATH": os.pathsep.join(
            [
                str(ROOT / "node_modules" / ".bin"),
                str(node_bin),
                str(Path(sys.executable).parent),
                os.environ["PATH"],
            ]
        ),
    }
    run([sys.executable, str(project / "scripts" / "import_crds.py")], cwd=project, env=env)
    return project


@pytest.mark.slow
def test_imports_match_a_fresh_generation(generated: Path) -> None:
    assert _files(generated / BINDINGS) == _files(ROOT / BINDINGS)


@pytest.mark.slow
def test_generation_leaves_the_project_config_alone(generated: Path) -> None:
    # cdk8s import appends its sources to the cdk8s.yaml of its working directory.
    assert (generated / "cdk8s.yaml").read_bytes() == (ROOT / "cdk8s.yaml").read_bytes()
    assert sorted(p.name for p in generated.iterdir()) == [
        "cdk8s.yaml",
        "constructs_lib",
        "crds",
        "jsii",
        "scripts",
    ]


def test_gateway_api_bindings_load() -> None:
    from constructs_lib._imports.io.k8s.networking.gateway import HttpRoute, ReferenceGrant

    assert (HttpRoute.GVK.api_version, HttpRoute.GVK.kind) == (
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
    )
    assert ReferenceGrant.GVK.api_version == "gateway.networking.k8s.io/v1"
