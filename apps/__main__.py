"""Synthesize every app into ``<outdir>/<app>/``, all or nothing.

Every app is built (and so validated) before anything is written; output goes to a temporary
directory beside ``outdir`` and replaces each ``<outdir>/<app>`` only once all apps synthesized,
so stale files never survive and a failure leaves ``outdir`` as it was.

``--site site.yaml`` with one ``--app`` synthesizes that app for a site: its hosts, identity
provider, TLS Secret and images instead of the placeholders in ``dist/`` (see apps/_site.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from apps import APPS, SITES
from apps._app import DELIVERY_SUFFIX
from apps._output import write_all
from apps._site import load_site
from constructs_lib import KubernetesVersion

# How cdk8s 2.x reports the constructs' validations (lib/app.js, validate()), raised through
# jsii as a RuntimeError: "Error: Validation failed with the following errors:\n  [path] ...".
VALIDATION_FAILED = "Error: Validation failed with the following errors:"


def synthesize(
    outdir: Path,
    version: KubernetesVersion,
    names: list[str],
    props: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Path]:
    """``props``: chart props by app name (a site's); an app's ``argocd`` adds the directory
    ``<app>-argocd`` with its Argo CD Application."""
    delivered = [
        f"{name}{DELIVERY_SUFFIX}" for name in names if "argocd" in (props or {}).get(name, {})
    ]

    def write(staging: Path) -> None:
        built = [
            APPS[name](str(staging / name), version, (props or {}).get(name)) for name in names
        ]
        for app in built:
            app.app.synth()
            if app.delivery is not None:
                app.delivery.synth()

    return write_all(outdir, [*names, *delivered], write)


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
    parser.add_argument(
        "--site",
        metavar="FILE",
        help="a YAML file of your site's hosts, identity_provider (issuer, audience, jwks_url), "
        "tls_secret, images and argocd (an Argo CD Application), for the one --app given",
    )
    args = parser.parse_args(argv)
    names = args.app or list(APPS)
    if args.site is not None and len(names) != 1:
        parser.error(f"--site sets one app: give exactly one --app (got {len(args.app or [])})")
    try:
        version = KubernetesVersion.of(args.kubernetes_version)
        props = (
            {names[0]: load_site(Path(args.site), names[0], SITES[names[0]])}
            if args.site is not None
            else None
        )
        written = synthesize(Path(args.outdir), version, names, props)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        # An outdir that cannot be written (a file on its path, no permission).
        print(f"error: cannot write {args.outdir}: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        if not str(error).startswith(VALIDATION_FAILED):
            raise
        print(f"error: {str(error).removeprefix('Error: ')}", file=sys.stderr)
        return 2
    for path in written:
        print(f"synthesized {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
