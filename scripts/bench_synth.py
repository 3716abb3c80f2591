"""Synthesis time of every app in one process, against the floor any cdk8s app pays.

The floor is a process that imports cdk8s and synthesizes one empty chart: starting Python,
the jsii runtime and its Node.js process, loading cdk8s's assembly, writing one file. Beside
it for scale: the same YAML written by PyYAML (dist's documents loaded, then dumped) and
``kubectl kustomize`` over the same files. ``python -m apps`` runs twice: from a copy of the
project's packages compiled to bytecode (what a wheel install or ``make setup-synth`` leaves)
and from a copy without any (``PYTHONDONTWRITEBYTECODE``: every run compiles them again).

Each round runs every command once, the order rotated from round to round; each figure is the
median over the rounds with the range, and each ratio is taken within a round, then the median.
The target: ``python -m apps`` at most 1.3 times the floor.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
APPS = ("dev", "minimal")
# What `python -m apps` imports of the project.
PACKAGES = ("apps", "constructs_lib", "hub_runtime")
TARGET = 1.3

FLOOR = """
import sys
import cdk8s
app = cdk8s.App(outdir=sys.argv[1])
cdk8s.Chart(app, "empty")
app.synth()
"""

PYYAML = """
import sys
from pathlib import Path
import yaml
dist, out = Path(sys.argv[1]), Path(sys.argv[2])
for app in sys.argv[3:]:
    (out / app).mkdir(parents=True, exist_ok=True)
    for source in sorted((dist / app).glob("*.yaml")):
        docs = list(yaml.safe_load_all(source.read_text()))
        (out / app / source.name).write_text(yaml.safe_dump_all(docs, sort_keys=False))
"""


@dataclass
class Case:
    label: str
    commands: list[list[str]]
    env: dict[str, str] = field(default_factory=dict)
    # Run where `python -m` finds no package of the project first (set to the scratch directory).
    cwd: Path = Path()
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def run(self) -> None:
        env = {**os.environ, **self.env}
        start, used = time.perf_counter(), cpu_seconds()
        for command in self.commands:
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env, cwd=self.cwd)
        self.times.append(time.perf_counter() - start)
        self.cpu.append(cpu_seconds() - used)


def cpu_seconds() -> float:
    """CPU time of the finished child processes and theirs (jsii's Node.js is waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def copy_packages(target: Path, compiled: bool, tree: Path = ROOT) -> None:
    for package in PACKAGES:
        shutil.copytree(
            tree / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    if compiled:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(target)], check=True)


def cases(tmp: Path, baseline: Path | None) -> list[Case]:
    python = sys.executable
    for variant, compiled in (("compiled", True), ("source", False)):
        copy_packages(tmp / variant, compiled)
    kustomize = tmp / "kustomize"
    for app in APPS:
        shutil.copytree(DIST / app, kustomize / app)
        resources = sorted(p.name for p in (kustomize / app).glob("*.yaml"))
        (kustomize / app / "kustomization.yaml").write_text(
            "resources:\n" + "".join(f"- {name}\n" for name in resources)
        )
    no_bytecode = {"PYTHONDONTWRITEBYTECODE": "1"}
    extra = []
    if baseline is not None:
        copy_packages(tmp / "baseline", True, baseline)
        extra.append(
            Case(
                f"python -m apps of {baseline.name}, compiled",
                [[python, "-m", "apps", "--outdir", str(tmp / "out-baseline")]],
                {"PYTHONPATH": str(tmp / "baseline"), **no_bytecode},
            )
        )
    return [
        Case("floor: import cdk8s, one empty chart", [[python, "-c", FLOOR, str(tmp / "floor")]]),
        Case(
            "python -m apps, bytecode compiled",
            [[python, "-m", "apps", "--outdir", str(tmp / "out-compiled")]],
            {"PYTHONPATH": str(tmp / "compiled"), **no_bytecode},
        ),
        Case(
            "python -m apps, no bytecode",
            [[python, "-m", "apps", "--outdir", str(tmp / "out-source")]],
            {"PYTHONPATH": str(tmp / "source"), **no_bytecode},
        ),
        Case(
            "PyYAML: load dist's documents, dump them",
            [[python, "-c", PYYAML, str(DIST), str(tmp / "pyyaml"), *APPS]],
        ),
        Case(
            "kubectl kustomize, each app's files",
            [["kubectl", "kustomize", str(kustomize / app)] for app in APPS],
        ),
        *extra,
    ]


def spread(values: list[float], unit: str = "") -> str:
    return f"{statistics.median(values):.3f}{unit} ({min(values):.3f}-{max(values):.3f}{unit})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also time the apps of another checkout of the project (e.g. `git worktree`)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        runs = cases(tmp, args.baseline)
        for case in runs:
            case.cwd = tmp
        if shutil.which("kubectl") is None:
            print("kubectl not found: its row is left out", file=sys.stderr)
            runs = [case for case in runs if case.commands[0][0] != "kubectl"]
        for case in runs:  # warm the file cache; not counted
            case.run()
            case.times.clear()
            case.cpu.clear()
        for index in range(args.rounds):
            shift = index % len(runs)
            for case in runs[shift:] + runs[:shift]:
                case.run()
    floor = runs[0]
    print(f"{args.rounds} interleaved rounds; median (range); ratios to the floor taken per round")
    print(f"{'':42} {'wall s':>19} {'ratio':>19}  {'CPU s':>19} {'ratio':>19}")
    for case in runs:
        ratios = [t / f for t, f in zip(case.times, floor.times, strict=True)]
        cpu_ratios = [t / f for t, f in zip(case.cpu, floor.cpu, strict=True)]
        ratio = "" if case is floor else spread(ratios)
        cpu_ratio = "" if case is floor else spread(cpu_ratios)
        print(
            f"{case.label:42} {spread(case.times):>19} {ratio:>19}  "
            f"{spread(case.cpu):>19} {cpu_ratio:>19}"
        )
    apps = runs[1]
    for what, values, base in (("wall", apps.times, floor.times), ("CPU", apps.cpu, floor.cpu)):
        median = statistics.median(t / f for t, f in zip(values, base, strict=True))
        verdict = "met" if median <= TARGET else "NOT met"
        print(f"target: {apps.label} at most {TARGET}x the floor, {what}: {median:.2f}, {verdict}")


if __name__ == "__main__":
    main()
