"""imports/ is exactly what scripts/import_crds.py generates from crds/ (never hand-edited)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_imports_match_a_fresh_generation(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": os.pathsep.join(
        [str(ROOT / "node_modules" / ".bin"), str(Path(sys.executable).parent),
         os.environ["PATH"]])}
    subprocess.run([sys.executable, str(ROOT / "scripts" / "import_crds.py"),
                    str(tmp_path / "imports")], check=True, env=env, capture_output=True)
    assert _files(tmp_path / "imports") == _files(ROOT / "imports")


def test_imported_bindings_load() -> None:
    from imports.io.external_secrets import ExternalSecret
    from imports.io.istio.networking import Gateway, VirtualService

    assert {ExternalSecret.GVK.kind, Gateway.GVK.kind, VirtualService.GVK.kind} == {
        "ExternalSecret", "Gateway", "VirtualService"}


def test_generation_leaves_the_project_config_alone() -> None:
    # cdk8s import appends its sources to the cdk8s.yaml of its working directory.
    assert "imports: []" in (ROOT / "cdk8s.yaml").read_text()
