"""Synthesis time of every app in one process, against the floor any cdk8s app pays.

The floor is a process that imports cdk8s and synthesizes one empty chart: starting Python,
the jsii runtime and its Node.js process, loading cdk8s's assembly, writing one file. Beside
it: cdk8s alone writing the apps' very documents (read as JSON, each chart's objects made in
one call through the library's Manifest binding, no other library code: what rendering this
output through cdk8s costs at least; its files are checked byte-identical to the apps'), and
for scale the same YAML written by PyYAML (dist's documents loaded, then dumped) and ``kubectl
kustomize`` over the same files. ``python -m apps`` runs twice: from a copy of the project's
packages compiled to bytecode (what a wheel install or ``make setup-synth`` leaves) and from a
copy without any
(``PYTHONDONTWRITEBYTECODE``: every run compiles them again).

Each round runs every command once, the order rotated from round to round; each figure is the
median over the rounds with the range, and each ratio is taken within a round, then the median.
The target: ``python -m apps`` (compiled) at most 1.2 times cdk8s alone writing the same
documents, what the library adds to rendering this output through cdk8s; its ratio to the floor
is in the table.
"""

from __future__ import annotations

import argparse
import json
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

import yaml

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
APPS = ("dev", "minimal")
# What `python -m apps` imports of the project.
PACKAGES = ("apps", "constructs_lib", "hub_runtime")
# python -m apps at most this many times cdk8s alone writing the same documents.
TARGET = 1.2

FLOOR = """
import sys
import cdk8s
app = cdk8s.App(outdir=sys.argv[1])
cdk8s.Chart(app, "empty")
app.synth()
"""

# The apps' charts and files as ``apps._app.build_app`` makes them, from their documents as
# JSON; ``manifest_binding`` is the library's Manifest binding copied out of the library.
SAME_DOCUMENTS = """
import json
import sys
import cdk8s
from manifest_binding import Manifest
with open(sys.argv[2]) as source:
    apps = json.load(source)
for name, charts in apps.items():
    app = cdk8s.App(outdir=f"{sys.argv[1]}/{name}")
    made = {}
    for chart_id, specs in charts:
        made[chart_id] = cdk8s.Chart(app, chart_id)
        Manifest.many(made[chart_id], json.dumps(specs))
    made["jupyterhub"].add_dependency(made["namespace"])
    app.synth()
"""
# Chart id of each of an app's files, in the order build_app creates the charts.
CHART_FILES = (("jupyterhub", "0001-jupyterhub.k8s.yaml"), ("namespace", "0000-namespace.k8s.yaml"))

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
    # Another checkout's apps (--baseline).
    baseline: bool = False

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


def documents_as_specs(target: Path) -> None:
    """dist's documents as ``Manifest.many`` specs per chart, and the binding beside them."""
    apps = {}
    for app in APPS:
        charts = []
        for chart_id, name in CHART_FILES:
            docs = yaml.safe_load_all((DIST / app / name).read_text())
            specs = [
                {
                    "id": f"o{index}",
                    "apiVersion": doc.pop("apiVersion"),
                    "kind": doc.pop("kind"),
                    "metadata": doc.pop("metadata"),
                    "body": doc,
                }
                for index, doc in enumerate(docs)
            ]
            charts.append((chart_id, specs))
        apps[app] = charts
    target.mkdir()
    (target / "documents.json").write_text(json.dumps(apps))
    shutil.copytree(
        ROOT / "constructs_lib" / "_imports" / "manifest",
        target / "manifest_binding",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(target)], check=True)


def differing_files(written: Path, reference: Path = DIST) -> list[str]:
    """The apps' files that ``written`` lacks, has in excess, or holds other bytes in than
    ``reference``."""
    differing = []
    for app in APPS:
        names = {p.name for p in (written / app).iterdir()}
        names |= {p.name for p in (reference / app).iterdir()}
        for name in sorted(names):
            ours, theirs = written / app / name, reference / app / name
            if (
                not ours.is_file()
                or not theirs.is_file()
                or ours.read_bytes() != theirs.read_bytes()
            ):
                differing.append(f"{app}/{name}")
    return differing


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
    documents_as_specs(tmp / "same")
    no_bytecode = {"PYTHONDONTWRITEBYTECODE": "1"}
    extra = []
    if baseline is not None:
        copy_packages(tmp / "baseline", True, baseline)
        extra.append(
            Case(
                f"python -m apps of {baseline.name}, compiled",
                [[python, "-m", "apps", "--outdir", str(tmp / "out-baseline")]],
                {"PYTHONPATH": str(tmp / "baseline"), **no_bytecode},
                baseline=True,
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
            "cdk8s alone, the apps' documents",
            [
                [
                    python,
                    "-c",
                    SAME_DOCUMENTS,
                    str(tmp / "out-same"),
                    str(tmp / "same/documents.json"),
                ]
            ],
            {"PYTHONPATH": str(tmp / "same"), **no_bytecode},
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
        # The same work: cdk8s alone writes what the apps wrote (its input is dist/, which
        # must be the apps' output).
        if differing := differing_files(tmp / "out-same", tmp / "out-compiled"):
            sys.exit(f"cdk8s alone wrote other files than the apps ({differing}): `make synth`?")
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
    apps, same = runs[1], runs[3]
    for what, values, base in (("wall", apps.times, same.times), ("CPU", apps.cpu, same.cpu)):
        ratios = [t / f for t, f in zip(values, base, strict=True)]
        verdict = "met" if statistics.median(ratios) <= TARGET else "NOT met"
        print(
            f"target: {apps.label} at most {TARGET}x {same.label}, {what}: "
            f"{spread(ratios)}, {verdict}"
        )
    for baseline in (case for case in runs if case.baseline):
        cpu = [t / f for t, f in zip(baseline.cpu, same.cpu, strict=True)]
        print(f"{baseline.label} against {same.label}, CPU: {spread(cpu)}")


if __name__ == "__main__":
    main()
