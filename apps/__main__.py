"""Synthesize every app into ``<outdir>/<app>/``, all or nothing.

Every app is built (and so validated) before anything is written; output goes to a temporary
directory beside ``outdir`` and replaces each ``<outdir>/<app>`` only once all apps synthesized,
so stale files never survive and a failure leaves ``outdir`` as it was.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from apps import APPS
from apps._output import write_all
from constructs_lib import KubernetesVersion


def synthesize(outdir: Path, version: KubernetesVersion, names: list[str]) -> list[Path]:
    def write(staging: Path) -> None:
        built = [APPS[name](str(staging / name), version) for name in names]
        for app in built:
            app.app.synth()

    return write_all(outdir, names, write)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apps", description=__doc__)
    parser.add_argument(
        "--outdir",
        default=os.environ.get("CDK8S_OUTDIR", "dist"),
        help="where each app's directory is written (default: dist)",
    )
    parser.add_argument(
        "--kubernetes-version",
        default=str(KubernetesVersion.DEFAULT),
        help="the Kubernetes version to target (default: %(default)s)",
    )
    parser.add_argument(
        "--app",
        action="append",
        choices=sorted(APPS),
        help="synthesize only this app (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    try:
        version = KubernetesVersion.of(args.kubernetes_version)
        written = synthesize(Path(args.outdir), version, args.app or list(APPS))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"synthesized {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
