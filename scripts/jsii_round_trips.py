"""Count the round trips from Python to jsii's Node.js process while the apps synthesize.

Wraps the process provider's ``send`` (every request Python makes of Node.js: create, get,
invoke, static invoke, callback completions, assembly loads) in this process only, then runs
``python -m apps`` in it. Prints the count per request kind, split into building the apps and
synthesizing them, and with ``--sites`` the lines of the project that made them.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from jsii._kernel.providers import process

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {"apps", "constructs_lib", "hub_runtime", "scripts"}

counts: collections.Counter[tuple[str, str]] = collections.Counter()
sites: collections.Counter[str] = collections.Counter()
seconds: collections.defaultdict[tuple[str, str], float] = collections.defaultdict(float)
phase = ["import"]


def _site() -> str:
    for frame in reversed(traceback.extract_stack()[:-3]):
        path = Path(frame.filename)
        inside = ROOT in path.parents and path.relative_to(ROOT).parts[0] in PROJECT
        if inside and path.name != Path(__file__).name:
            return f"{path.relative_to(ROOT)}:{frame.lineno}"
    return "(outside the project)"


def instrument(record_sites: bool) -> None:
    send = process._NodeProcess.send

    def counted(self: Any, request: Any, response_type: Any) -> Any:
        kind = type(request).__name__.removesuffix("Request")
        counts[(phase[0], kind)] += 1
        if record_sites:
            sites[f"{kind:14} {_site()}"] += 1
        start = time.perf_counter()
        try:
            return send(self, request, response_type)
        finally:
            seconds[(phase[0], kind)] += time.perf_counter() - start

    process._NodeProcess.send = counted  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", action="store_true", help="list the call sites too")
    args = parser.parse_args()
    instrument(args.sites)
    # After instrumenting: imports load jsii assemblies.
    import apps
    from constructs_lib import KubernetesVersion

    with tempfile.TemporaryDirectory() as tmp:
        phase[0] = "build"
        built = [
            build(str(Path(tmp) / name), KubernetesVersion.DEFAULT)
            for name, build in apps.APPS.items()
        ]
        phase[0] = "synth"
        for app in built:
            app.app.synth()
    for name in ("import", "build", "synth"):
        kinds = {kind: n for (p, kind), n in sorted(counts.items()) if p == name}
        spent = {kind: s for (p, kind), s in seconds.items() if p == name}
        detail = ", ".join(f"{kind} {n} ({spent[kind]:.3f} s)" for kind, n in kinds.items())
        print(
            f"{name:7} {sum(kinds.values()):4} round trips, {sum(spent.values()):.3f} s in "
            f"them: {detail}"
        )
    if args.sites:
        for site, n in sites.most_common():
            print(f"{n:5}  {site}")


if __name__ == "__main__":
    main()
