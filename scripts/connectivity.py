"""Write dist/<app>-connectivity.txt: what can talk to what, by network-config-analyzer.

NCA evaluates the app's NetworkPolicies and Istio AuthorizationPolicies together over the
app's pods, the user-pod previews and the cluster around them (analysis/). The CUSTOM
(ext-authz) policy is left out: NCA does not model external authorization, which only ever
narrows what the gateway lets through.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NCA = ROOT / ".venv-nca" / "bin" / "nca"
ENVIRONMENT = ROOT / "analysis" / "cluster-environment.yaml"
# Only the dev app has mesh policies worth analysing.
APPS = ["dev"]


def analyse(dist: Path, app: str, output_format: str = "txt") -> str:
    with tempfile.TemporaryDirectory() as tmp:
        manifests = Path(tmp) / f"{app}.yaml"
        documents = [
            doc
            for path in sorted((dist / app).glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text())
            if doc
            and not (doc["kind"] == "AuthorizationPolicy" and doc["spec"].get("action") == "CUSTOM")
        ]
        manifests.write_text(yaml.safe_dump_all(documents, sort_keys=True))
        result = subprocess.run(
            [
                str(NCA),
                "--connectivity",
                str(manifests),
                "--resource_list",
                str(manifests),
                "--resource_list",
                str(dist / f"{app}-preview"),
                "--resource_list",
                str(ENVIRONMENT),
                "--output_format",
                output_format,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in (0, 1) or not result.stdout.strip():
            raise RuntimeError(f"nca failed: {result.stderr[-2000:]}")
        # Stable across runs: no temporary path, no timing.
        text = result.stdout.replace(str(manifests), f"dist/{app}")
        return re.sub(r"\nTotal run time:.*\n?", "\n", text).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outdir", default="dist")
    dist = Path(parser.parse_args().outdir)
    for app in APPS:
        target = dist / f"{app}-connectivity.txt"
        target.write_text(analyse(dist, app))
        print(f"analysed {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
