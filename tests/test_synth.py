"""`cdk8s synth` in the repository (the real CLI, cdk8s.yaml's app: scripts/synth.py) writes
all of dist/ or, when anything fails, leaves it as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from _jupyterhub_cdk8s_node import node_path
from tests.support.commands import said
from tests.support.manifests import ROOT

pytestmark = pytest.mark.slow

CDK8S = ROOT / "node_modules" / ".bin" / "cdk8s"
# What synthesis reads, copied; the environments are linked.
SOURCES = ["apps", "constructs_lib", "hub_runtime", "scripts", "analysis", "cdk8s.yaml", "dist"]
ENVIRONMENTS = [".venv", ".venv-nca"]


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the project (so the committed dist/ is never touched)."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    for name in ENVIRONMENTS:
        (tmp_path / name).symlink_to((ROOT / name).resolve())
    return tmp_path


def _cdk8s_synth(project: Path) -> subprocess.CompletedProcess[str]:
    node = node_path()
    assert node is not None
    env = {**os.environ, "CDK8S_CHECK_UPGRADE": "false"}
    return subprocess.run(
        [node, str(CDK8S), "synth"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_scratch_output_is_the_scripts() -> None:
    from scripts.synth import SCRATCH

    config = yaml.safe_load((ROOT / "cdk8s.yaml").read_text())
    assert ROOT / config["output"] == SCRATCH
    assert config["output"] != "dist"


def test_cdk8s_synth_writes_all_of_dist(project: Path) -> None:
    stale = project / "dist" / "minimal" / "9999-stale.k8s.yaml"
    stale.write_text("kind: Stale\n")
    (project / "dist" / "dev-connectivity.txt").unlink()
    result = _cdk8s_synth(project)
    assert result.returncode == 0, said(result)
    # Apps, previews and the connectivity report, exactly as committed; nothing stale.
    assert _files(project / "dist") == _files(ROOT / "dist")
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".dist")) == []


def test_cdk8s_synth_without_a_venv_keeps_dist(project: Path) -> None:
    (project / ".venv").unlink()
    result = _cdk8s_synth(project)
    assert result.returncode != 0, said(result)
    assert ".venv/bin/python missing: run `make synth`" in result.stderr
    assert _files(project / "dist") == _files(ROOT / "dist")


def test_a_failed_step_keeps_dist(project: Path) -> None:
    # The last step, the connectivity report, fails: network-config-analyzer crashes.
    (project / ".venv-nca").unlink()
    nca = project / ".venv-nca" / "bin" / "nca"
    nca.parent.mkdir(parents=True)
    nca.write_text("#!/bin/sh\necho crashed >&2\nexit 3\n")
    nca.chmod(0o755)
    (project / "dist" / "minimal" / "0000-namespace.k8s.yaml").write_text("kind: Edited\n")
    before = _files(project / "dist")
    result = _cdk8s_synth(project)
    assert result.returncode != 0, said(result)
    assert f"{project / 'dist'} is unchanged" in result.stderr
    assert _files(project / "dist") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".dist")) == []
