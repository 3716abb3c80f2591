"""How synthesis time grows with the app: hubs in one app, and profiles on one hub.

Hubs: 1, 5, 20 and 50 hubs in one app, each the ``minimal`` app's objects (hub, proxy,
profiles, auth-proxy Ingress, NetworkPolicies) with its own release, namespace and
``HubNamespace``, each in a chart of its own. Profiles: one such hub with 1, 10, 100 and 300
profiles. Each size is one process (``--run``) that builds the app and synthesizes it.

The cost of a hub is the time of a process with N hubs less that of a process with none
(same imports, the empty app synthesized), divided by N: the floor subtracted, so start-up
does not flatter the larger sizes. Likewise a profile's cost is the time with P profiles less
that with one, divided by P - 1. Each round runs every size once (order rotated per round);
figures are medians over the rounds. Also counted, in one instrumented run per size: the
round trips to jsii's Node.js process, whose growth per hub should be constant.

Target: the cost of a hub at 50 hubs at most 1.2 times that at 5. Writes the plot of both
curves to docs/scaling.png (``--plot``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import cdk8s

ROOT = Path(__file__).resolve().parent.parent
PLOT = ROOT / "docs" / "scaling.png"
HUBS = (0, 1, 5, 20, 50)
PROFILES = (1, 10, 100, 300)
TARGET = 1.2


def build(outdir: str, hubs: int, profiles: int) -> cdk8s.App:
    """An app of ``hubs`` hubs with ``profiles`` profiles each, not yet synthesized (imports
    here: the parent process only times)."""
    import cdk8s

    from constructs_lib import (
        AuthProxyIngress,
        HeaderTrust,
        HubNamespace,
        HubNetworkPolicies,
        JupyterHub,
        NotebookProfile,
        ProxyToken,
    )

    trust = HeaderTrust.jwt_proof(
        issuer="https://auth.example.org",
        audience="jupyterhub",
        jwks_url="https://auth.example.org/.well-known/jwks.json",
    )
    app = cdk8s.App(outdir=outdir)
    for index in range(hubs):
        release = f"hub{index}"
        chart = cdk8s.Chart(app, release, namespace=release)
        chosen = [
            NotebookProfile(chart, f"Profile{p}", display_name=f"Profile {p}", default=p == 0)
            for p in range(profiles)
        ]
        jupyterhub = JupyterHub(
            chart,
            "JupyterHub",
            proxy_token=ProxyToken.from_existing_secret(f"{release}-proxy-token"),
            header_trust=trust,
            hosts=(f"{release}.example.org",),
            release=release,
            profiles=chosen,
            mesh=None,
        )
        ingress = AuthProxyIngress(
            chart, "Ingress", proxy=jupyterhub.proxy, tls_secret=f"{release}-tls"
        )
        HubNetworkPolicies(
            chart,
            "NetworkPolicies",
            jupyterhub=jupyterhub,
            ingress_from=ingress.controller,
        )
        namespace = cdk8s.Chart(app, f"{release}-namespace")
        HubNamespace(namespace, "Namespace", name=release, release=release, profiles=chosen)
        chart.add_dependency(namespace)
    return app


def count_round_trips(run: Callable[[], object]) -> int:
    """Requests made of jsii's Node.js process while ``run`` runs (all of them: creates,
    gets, invokes, assembly loads)."""
    from jsii._kernel.providers import process

    sent = [0]
    send = process._NodeProcess.send

    def counted(self: object, request: object, response_type: object) -> object:
        sent[0] += 1
        return send(self, request, response_type)  # type: ignore[arg-type]

    process._NodeProcess.send = counted  # type: ignore[method-assign, assignment]
    run()
    return sent[0]


def run_one(hubs: int, profiles: int, count: bool) -> None:
    with tempfile.TemporaryDirectory() as outdir:
        if count:
            print(count_round_trips(lambda: build(outdir, hubs, profiles).synth()))
        else:
            build(outdir, hubs, profiles).synth()


def timed(hubs: int, profiles: int, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process (CPU: it and its Node.js, from getrusage)."""
    from scripts.bench_synth import cpu_seconds

    start, used = time.perf_counter(), cpu_seconds()
    subprocess.run(
        [sys.executable, __file__, "--run", str(hubs), str(profiles)],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    return time.perf_counter() - start, cpu_seconds() - used


def round_trips(hubs: int, profiles: int, env: dict[str, str]) -> int:
    output = subprocess.run(
        [sys.executable, __file__, "--run", str(hubs), str(profiles), "--count"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return int(output.split()[-1])


def plot(
    hubs: dict[int, float], profiles: dict[int, float], path: Path, per_hub: dict[int, float]
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    sizes = sorted(n for n in hubs if n)
    left.plot(sizes, [hubs[n] for n in sizes], "o-", label="measured, floor subtracted")
    slope = per_hub[5]
    left.plot(sizes, [slope * n for n in sizes], "--", color="grey", label="linear at 5 hubs")
    left.set(xlabel="hubs in one app", ylabel="seconds over the floor", title="Hubs")
    left.legend()
    counts = sorted(profiles)
    base = profiles[counts[0]]
    right.plot(counts, [profiles[p] - base for p in counts], "o-", label="measured, less 1")
    # The whole range's slope: the smallest steps are within the noise.
    each = (profiles[counts[-1]] - base) / (counts[-1] - counts[0])
    right.plot(
        counts,
        [each * (p - counts[0]) for p in counts],
        "--",
        color="grey",
        label=f"linear from {counts[0]} to {counts[-1]}",
    )
    right.set(
        xlabel="profiles on one hub",
        ylabel="seconds over one profile",
        title="Profiles",
    )
    right.legend()
    figure.suptitle("Synthesis CPU time (median of interleaved rounds)")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--plot", type=Path, default=PLOT, help="default: %(default)s")
    parser.add_argument("--run", nargs=2, type=int, metavar=("HUBS", "PROFILES"), help="internal")
    parser.add_argument("--count", action="store_true", help="internal: with --run")
    args = parser.parse_args()
    if args.run:
        hubs, profiles = args.run
        run_one(hubs, profiles, count=args.count)
        return

    # Here, not at the top: a --run process imports the packages from PYTHONPATH's copy.
    sys.path.insert(0, str(ROOT))
    from scripts.bench_synth import copy_packages

    cases = [(n, 2) for n in HUBS] + [(1, p) for p in PROFILES if p != 2]
    wall: dict[tuple[int, int], list[float]] = {case: [] for case in cases}
    cpu: dict[tuple[int, int], list[float]] = {case: [] for case in cases}
    with tempfile.TemporaryDirectory() as tmp:
        # The project's packages compiled to bytecode, as a set-up leaves them.
        copy_packages(Path(tmp), compiled=True)
        env = {**os.environ, "PYTHONPATH": tmp, "PYTHONDONTWRITEBYTECODE": "1"}
        timed(1, 2, env)  # warm the file cache; not counted
        for index in range(args.rounds):
            shift = index % len(cases)
            for case in cases[shift:] + cases[:shift]:
                seconds, cpu_seconds_used = timed(*case, env)
                wall[case].append(seconds)
                cpu[case].append(cpu_seconds_used)
        trips = {n: round_trips(n, 2, env) for n in HUBS}

    print(f"{args.rounds} interleaved rounds, medians in seconds, each hub with 2 profiles")
    print("(over floor: less the process with no hub; per hub: that over the number of hubs)")
    print("      ----------- wall -----------   ------------ CPU -----------")
    print("hubs  process  over floor  per hub   process  over floor  per hub   round trips")
    per_hub: dict[str, dict[int, float]] = {}
    over: dict[str, dict[int, float]] = {}
    for what, times in (("wall", wall), ("CPU", cpu)):
        median = {n: statistics.median(times[(n, 2)]) for n in HUBS}
        over[what] = {n: median[n] - median[0] for n in HUBS}
        per_hub[what] = {n: over[what][n] / n for n in HUBS if n}
    for n in HUBS:
        row = f"{n:4}"
        for what, times in (("wall", wall), ("CPU", cpu)):
            process = statistics.median(times[(n, 2)])
            extra = f"{over[what][n]:10.3f}  {per_hub[what][n]:7.3f}" if n else f"{'':10}  {'':7}"
            row += f"  {process:7.3f}  {extra} "
        print(f"{row}  {trips[n]:6} ({(trips[n] - trips[0]) / max(n, 1):.0f} per hub)")
    for what in ("wall", "CPU"):
        ratio = per_hub[what][50] / per_hub[what][5]
        verdict = "met" if ratio <= TARGET else "NOT met"
        print(f"per hub at 50 / at 5, {what}: {ratio:.2f} (target at most {TARGET}: {verdict})")

    print("profiles on one hub  wall s  per added  CPU s  per added")
    first = PROFILES[0]
    profile_cpu = {p: statistics.median(cpu[(1, p)]) for p in PROFILES}
    profile_wall = {p: statistics.median(wall[(1, p)]) for p in PROFILES}
    for p in PROFILES:
        row = f"{p:19}"
        for values in (profile_wall, profile_cpu):
            added = "" if p == first else f"{(values[p] - values[first]) / (p - first):.4f}"
            row += f"  {values[p]:6.3f}  {added:>9}"
        print(row)
    plot(over["CPU"], profile_cpu, args.plot, per_hub["CPU"])
    print(f"wrote {args.plot} (CPU time)")


if __name__ == "__main__":
    main()
