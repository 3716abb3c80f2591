"""Synthesis time of every app in one process, against the floor of an empty chart.

The floor is a process that only imports cdk8s_plus_28 and synthesizes an empty chart: the
cost of starting Python and the jsii runtime, which any cdk8s app pays. Both are run
alternately, ROUNDS times each, and the medians are compared. Target: ratio at most 1.3.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

ROUNDS = 7
FLOOR = """
import cdk8s, cdk8s_plus_28, sys
app = cdk8s.App(outdir=sys.argv[1])
cdk8s.Chart(app, "empty")
app.synth()
"""


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        floor_cmd = [sys.executable, "-c", FLOOR, f"{tmp}/floor"]
        apps_cmd = [sys.executable, "-m", "apps", "--outdir", f"{tmp}/dist"]
        timed(floor_cmd)  # warm the file cache and .pyc files
        timed(apps_cmd)
        floor, full = [], []
        for _ in range(ROUNDS):
            floor.append(timed(floor_cmd))
            full.append(timed(apps_cmd))
    f, a = statistics.median(floor), statistics.median(full)
    print(f"floor (import cdk8s_plus_28, empty chart): median {f:.3f} s over {ROUNDS} runs")
    print(f"python -m apps (all apps):                 median {a:.3f} s over {ROUNDS} runs")
    print(f"ratio: {a / f:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
