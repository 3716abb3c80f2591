"""Write dist/<app>-connectivity.txt: what can talk to what, by network-config-analyzer.

NCA evaluates an app's policies over its pods, the user-pod previews and the cluster around
them (analysis/): for an app in the mesh once with NetworkPolicies and Istio's policies
together, then each layer alone; for an app without one, its NetworkPolicies.

Why each layer alone too: NCA models a ServiceEntry's host as a DNS entry that only the
Istio layer can permit (nca/CoreDS/Peer.py, DNSEntry: "connectivity of DNSEntry peers is
considered only for NetworkLayerName.Istio"), and an address range as addresses, which only
NetworkPolicies name; so together a host outside the cluster is reached by no one. In a
cluster the hub's packets to its provider pass both: the Sidecar lets them out to the
ServiceEntry's host, the NetworkPolicy admits its address on the port.

The CUSTOM (ext-authz) policy is left out: NCA does not model external authorization,
which only ever narrows what the gateway lets through.

A Gateway's hosts reach NCA without their namespace part: NCA ignores a host that has one
(nca/Parsers/GenericGatewayYamlParser.py, ``parse_host_value``: "namespace is not supported
yet. Ignoring the host") and then refuses the server as having no valid host. The bare host
binds NCA's VirtualServices of every namespace; the only ones analysed are the app's, in the
Gateway's namespace, which ``./<host>`` admits too: the same routes either way.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
NCA = ROOT / ".venv-nca" / "bin" / "nca"
# The cluster around the apps: namespaces, the gateway, Prometheus, an outside client.
ENVIRONMENT = ROOT / "analysis" / "cluster-environment.yaml"
# What the apps' pods call in the cluster: DNS, istiod, the trace agent, ingress-nginx.
SERVICES = ROOT / "analysis" / "cluster-services.yaml"
APPS = ["dev", "minimal"]
# Each section's title, by layer: "both", "kubernetes", "istio".
TITLES = {
    "both": "NetworkPolicies and Istio policies together",
    "kubernetes": "Kubernetes NetworkPolicies alone",
    "istio": "Istio policies alone (AuthorizationPolicies, Sidecars, ServiceEntries)",
}
_SECTION = re.compile(r"^== (.*) ==$", re.M)


def _is_istio(doc: dict[str, Any]) -> bool:
    return str(doc.get("apiVersion", "")).startswith(("networking.istio.io/", "security.istio.io/"))


def _documents(dist: Path, app: str) -> list[dict[str, Any]]:
    documents = [
        doc
        for path in sorted((dist / app).glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
        and not (doc["kind"] == "AuthorizationPolicy" and doc["spec"].get("action") == "CUSTOM")
    ]
    return [_bare_gateway_hosts(doc, documents) for doc in documents]


def _bare_gateway_hosts(doc: dict[str, Any], documents: list[dict[str, Any]]) -> dict[str, Any]:
    """An Istio Gateway with its servers' hosts as NCA reads them, without the namespace part
    (module docstring). Only a part that admits every VirtualService analysed is dropped
    (``.``, ``*`` or the Gateway's namespace, where they all are); any other would change
    what binds, and is refused."""
    if not (_is_istio(doc) and doc["kind"] == "Gateway"):
        return doc
    namespace = doc["metadata"].get("namespace")
    bound = {vs["metadata"].get("namespace") for vs in documents if vs["kind"] == "VirtualService"}

    def bare(host: str) -> str:
        part, slash, name = host.partition("/")
        if not slash:
            return host
        if part in (".", "*") or part == namespace:
            if part != "*" and bound - {namespace}:
                raise ValueError(
                    f"Gateway {doc['metadata']['name']}: host {host!r} binds only the "
                    f"VirtualServices of {namespace}, but some analysed are in {sorted(bound)}"
                )
            return name
        raise ValueError(f"Gateway {doc['metadata']['name']}: NCA cannot model host {host!r}")

    servers = [{**s, "hosts": [bare(h) for h in s["hosts"]]} for s in doc["spec"]["servers"]]
    return {**doc, "spec": {**doc["spec"], "servers": servers}}


# What each layer's analysis reads: its policies, and the objects around them.
_LAYERS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "both": lambda doc: True,
    "kubernetes": lambda doc: not _is_istio(doc),
    "istio": lambda doc: doc["kind"] != "NetworkPolicy",
}


def _run(manifests: Path, dist: Path, app: str, output_format: str, shown: str) -> str:
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
            "--resource_list",
            str(SERVICES),
            "--output_format",
            output_format,
        ],
        capture_output=True,
        text=True,
        check=False,
        # NCA names a set of pods by one of the label expressions that select it, picked in
        # set order: one hash seed, one report.
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"nca failed: {result.stderr[-2000:]}")
    # Stable across runs: no temporary path, no timing.
    text = result.stdout.replace(str(manifests), shown)
    return re.sub(r"\nTotal run time:.*\n?", "\n", text).rstrip() + "\n"


# What the report of an app in the mesh says first.
PREAMBLE = (
    "A connection is made only where every layer permits it. NCA names a ServiceEntry's host "
    "in the Istio layer only and\naddresses in NetworkPolicies only, so together a pod whose "
    "egress both restrict (the hub, the proxy) reaches\nno host outside the cluster: each "
    "layer's own section shows what it lets out (the hub's provider: its host\nin Istio's, "
    "its port on public addresses in Kubernetes').\n"
)


def analyse(dist: Path, app: str, output_format: str = "txt") -> str:
    """The report: a section per layer analysed (all three where the app has Istio objects)."""
    documents = _documents(dist, app)
    meshed = any(map(_is_istio, documents))
    layers = ["both", "kubernetes", "istio"] if meshed else ["kubernetes"]
    sections = [PREAMBLE] if meshed else []
    with tempfile.TemporaryDirectory() as tmp:
        for layer in layers:
            manifests = Path(tmp) / f"{app}-{layer}.yaml"
            chosen = [doc for doc in documents if _LAYERS[layer](doc)]
            manifests.write_text(yaml.safe_dump_all(chosen, sort_keys=True))
            text = _run(manifests, dist, app, output_format, f"dist/{app}")
            sections.append(f"== {TITLES[layer]} ==\n{text}")
    return "\n".join(sections)


def section(report: str, layer: str) -> str:
    """The text of one layer's section of ``report`` (``both``, ``kubernetes``, ``istio``)."""
    parts = _SECTION.split(report)
    titles = dict(zip(parts[1::2], parts[2::2], strict=True))
    return titles[TITLES[layer]]


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
