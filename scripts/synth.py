"""Write dist/ whole: every app, the user-pod previews and the connectivity report.

Run by `make synth` and by `cdk8s synth` (cdk8s.yaml's app). Everything is written to a
staging directory first and replaces the target only once all three steps succeeded, so a
failure leaves the committed dist/ as it was and no stale file survives a success.

The cdk8s CLI deletes its output directory before it runs the app, so cdk8s.yaml's `output`
is a scratch directory (SCRATCH), never dist/: given that one in CDK8S_OUTDIR this writes
dist/ and leaves a copy in the scratch directory for the CLI to list. Any other CDK8S_OUTDIR
(`cdk8s synth --output DIR`) is the target itself. Runs on any Python 3: the steps run on the
project's .venv, which `make synth` sets up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
# cdk8s.yaml's `output` (a test checks they agree).
SCRATCH = ROOT / "build" / "cdk8s"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
NCA = ROOT / ".venv-nca" / "bin" / "nca"


def steps(python: Path, outdir: Path) -> list[list[str]]:
    return [
        [str(python), "-m", "apps", "--outdir", str(outdir)],
        [str(python), "-m", "apps.previews", "--outdir", str(outdir)],
        [str(python), str(ROOT / "scripts" / "connectivity.py"), "--outdir", str(outdir)],
    ]


def replace(target: Path, new: Path) -> None:
    """Swap ``new`` in for ``target`` (same parent directory, so both moves are renames)."""
    old = new.with_name(new.name + ".old")
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def target_of(cdk8s_outdir: str | None) -> Path:
    if cdk8s_outdir is None or Path(cdk8s_outdir).resolve() == SCRATCH:
        return DIST
    return Path(cdk8s_outdir).resolve()


def main() -> int:
    missing = [path for path in (VENV_PYTHON, NCA) if not path.exists()]
    if missing:
        print(
            f"error: {', '.join(str(p.relative_to(ROOT)) for p in missing)} missing: run "
            "`make synth`, which installs what synthesis needs; dist/ is unchanged",
            file=sys.stderr,
        )
        return 1
    cdk8s_outdir = os.environ.get("CDK8S_OUTDIR")
    target = target_of(cdk8s_outdir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for command in steps(VENV_PYTHON, staging / "out"):
            # The steps' own CDK8S_OUTDIR would be taken as their default output.
            env = {k: v for k, v in os.environ.items() if k != "CDK8S_OUTDIR"}
            result = subprocess.run(command, cwd=ROOT, env=env, check=False)
            if result.returncode != 0:
                print(
                    f"error: {' '.join(command[1:])} failed; {target} is unchanged", file=sys.stderr
                )
                return result.returncode
        replace(target, staging / "out")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # On stderr: the cdk8s CLI swallows the app's stdout.
    if cdk8s_outdir is not None and target == DIST:
        shutil.rmtree(cdk8s_outdir, ignore_errors=True)
        shutil.copytree(DIST, cdk8s_outdir)
        print(f"wrote {DIST} (and a copy in {cdk8s_outdir} for the cdk8s CLI)", file=sys.stderr)
    else:
        print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
