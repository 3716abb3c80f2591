"""Regenerate constructs_lib/_imports/ (typed CRD bindings) from the CRD files in crds/, offline,
and the binding of ``Manifest`` (jsii/manifest/index.ts, the ApiObject the constructs create
whole in one call) beside them.

Only the kinds the constructs create through typed bindings are imported, each with its
served versions only, which keeps the generated modules (imported at every synthesis) small.
Run with `make imports` (an optional argument names another output directory).

The bindings live inside the library's package, not in a top-level ``imports`` package: that
name belongs to the ``imports/`` that ``cdk8s import`` writes into every cdk8s app. Their jsii
assemblies carry the prefix ``jupyterhub_cdk8s_`` for the same reason: jsii loads one assembly
per name into its Node.js process, so an app's own bindings of the same CRD group (named
``ioistionetworking`` and so on by ``cdk8s import``) would otherwise stand in for ours, and
every field only one of them knows would be dropped without a word.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "constructs_lib" / "_imports"
# Module name prefix given to cdk8s import; it names the jsii assemblies (see above).
PREFIX = "jupyterhub_cdk8s"
# CRD file -> the kinds taken from it. The constructs write Istio's and External Secrets'
# objects as plain specs (constructs_lib._mesh, _hub.vault_secret): only Gateway API's are
# made through typed bindings.
KINDS = {
    "gateway-api.yaml": {"HTTPRoute", "ReferenceGrant"},
}
# Kinds served in more than one version: only this one is imported (the others' classes would
# double the module for nothing the constructs write).
ONLY_VERSION = {"HTTPRoute": "v1", "ReferenceGrant": "v1"}

# Schema fields the constructs never set, dropped before import: fewer generated classes make
# the bindings (imported at every synthesis) faster to load. "[]" steps into array items.
UNUSED = {
    "HTTPRoute": [
        "spec.rules[].backendRefs[].filters",
        "spec.rules[].filters[].cors",
        "spec.rules[].filters[].extensionRef",
        "spec.rules[].filters[].requestMirror",
        "spec.rules[].filters[].requestRedirect",
        "spec.rules[].filters[].responseHeaderModifier",
        "spec.rules[].filters[].urlRewrite",
        "spec.rules[].matches[].headers",
        "spec.rules[].matches[].queryParams",
        "spec.rules[].timeouts",
    ],
}


def _drop(schema: dict[str, Any], path: str) -> None:
    node = schema
    *steps, last = path.split(".")
    for step in steps:
        node = node["properties"][step.removesuffix("[]")]
        if step.endswith("[]"):
            node = node["items"]
    node["properties"].pop(last.removesuffix("[]"))


def trimmed(path: Path, kinds: set[str]) -> list[dict[str, Any]]:
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    chosen = [d for d in documents if d["spec"]["names"]["kind"] in kinds]
    missing = kinds - {d["spec"]["names"]["kind"] for d in chosen}
    if missing:
        sys.exit(f"{path}: no CRD for {sorted(missing)}")
    for crd in chosen:
        kind = crd["spec"]["names"]["kind"]
        crd["spec"]["versions"] = [
            v
            for v in crd["spec"]["versions"]
            if v.get("served") and ONLY_VERSION.get(kind, v["name"]) == v["name"]
        ]
        for version in crd["spec"]["versions"]:
            for field in UNUSED.get(kind, []):
                _drop(version["schema"]["openAPIV3Schema"], field)
    return chosen


# The Manifest class's TypeScript source; compiled with jsii-srcmak (as cdk8s import does).
MANIFEST_SOURCE = ROOT / "jsii" / "manifest"
# Builds the binding: jsii-srcmak's options beyond its command line (the assembly's name).
_SRCMAK = """
const path = require('path');
const [modules, source, outdir, key, module] = process.argv.slice(1);
require(path.join(modules, 'jsii-srcmak')).srcmak(source, {
  moduleKey: key,
  deps: ['cdk8s', 'constructs'].map((d) => path.join(modules, d)),
  python: { outdir, moduleName: module },
}).catch((error) => { console.error(error); process.exit(1); });
"""


def manifest_binding(staging: Path) -> None:
    """The Manifest binding at staging/PREFIX/manifest, its assembly named with PREFIX."""
    srcmak = shutil.which("jsii-srcmak")
    if srcmak is None:
        sys.exit("jsii-srcmak not found on PATH: run `make setup` (npm ci)")
    # node_modules/.bin/jsii-srcmak: the node_modules beside it has cdk8s and constructs too.
    modules = Path(srcmak).parent.parent
    subprocess.run(
        [
            "node",
            "-e",
            _SRCMAK,
            str(modules),
            str(MANIFEST_SOURCE),
            str(staging),
            f"{PREFIX}_manifest",
            f"{PREFIX}.manifest",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "imports"
        for name, kinds in KINDS.items():
            source = Path(tmp) / name
            source.write_text(yaml.safe_dump_all(trimmed(ROOT / "crds" / name, kinds)))
            subprocess.run(
                [
                    "cdk8s",
                    "import",
                    "--no-check-upgrade",
                    "--language",
                    "python",
                    "--output",
                    str(staging),
                    f"{PREFIX}:={source}",
                ],
                # In the temporary directory: cdk8s import records each source in the
                # cdk8s.yaml of its working directory.
                check=True,
                stdout=subprocess.DEVNULL,
                cwd=tmp,
            )
        manifest_binding(staging)
        shutil.rmtree(output, ignore_errors=True)
        # The prefix also becomes a directory level; the modules import each other
        # relatively and load their assemblies through __name__, so they can move.
        shutil.copytree(staging / PREFIX, output)
    (output / "__init__.py").write_text('"""Generated by scripts/import_crds.py; do not edit."""\n')
    (output / "io" / "__init__.py").touch()


if __name__ == "__main__":
    main()
