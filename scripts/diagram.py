"""Draw each app's deployed objects and request path as a Mermaid flowchart in the docs.

Synthesizes the app and reads the manifests: who sends traffic where (Ingress or
VirtualService to a Service, a Service to the pods it selects, a URL in a container's
arguments or in a mounted ConfigMap to a Service) and what each workload mounts or runs as.
User servers exist only at run time: they are drawn from the labels the hub gives them
(``External.pod_labels``) and the app's flows (``JupyterHub.flows``).

``python scripts/diagram.py`` rewrites every ``<!-- diagram: <app> -->`` block of the pages that
hold one (README.md and docs/index.md: ``minimal``; docs/guide/apps.md: ``dev``); ``--check``
exits 1 when one is stale.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apps import APPS
from constructs_lib import Component, JupyterHub, KubernetesVersion

ROOT = Path(__file__).resolve().parent.parent
# The pages with pictures: the front page, the site's home and the apps' page of the guide.
PAGES = (ROOT / "README.md", ROOT / "docs" / "index.md", ROOT / "docs" / "guide" / "apps.md")
BLOCK = re.compile(r"(<!-- diagram: (?P<app>[\w-]+) -->\n)(?P<body>.*?)(<!-- /diagram -->)", re.S)
_WORKLOADS = ("Deployment", "StatefulSet")
# A ConfigMap named after a hash of its content: drawn without the hash, so the picture
# changes only when the objects or their references do.
_HASHED = re.compile(r"-[0-9a-f]{10}$")
# <scheme>://<service>[.<namespace>...]:<port>: only names of the app's Services are drawn.
_URL = re.compile(
    r"[a-z][a-z0-9+.-]*://([^@/\s]*@)?(?P<name>[a-z0-9]([-a-z0-9]*[a-z0-9])?)"
    r"(\.[a-z0-9-]+)*:(?P<port>\d+)"
)
USERS = "user_servers"
CLIENT = "browser"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    # Traffic (solid) or a reference to configuration (dotted).
    traffic: bool = True


def _shown(kind: str, name: str) -> str:
    return _HASHED.sub("-(hash)", name) if kind == "ConfigMap" else name


def _id(kind: str, name: str) -> str:
    return re.sub(r"\W", "_", f"{kind}_{_shown(kind, name)}").lower().strip("_")


def _label(kind: str, name: str) -> str:
    return f"{kind}<br/>{_shown(kind, name)}"


def _fields(text: str) -> list[tuple[str, re.Match[str]]]:
    """``(where, url)`` for each URL in ``text``: a JSON document's by field name."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return [("", m) for m in _URL.finditer(text)]
    found: list[tuple[str, re.Match[str]]] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, str):
            found.extend((where, m) for m in _URL.finditer(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, key)
        elif isinstance(value, list):
            for item in value:
                walk(item, where)

    walk(document, "")
    return found


def _matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _port(service: Mapping[str, Any], port: int | str) -> str:
    for entry in service["spec"].get("ports", []):
        if port in (entry.get("port"), entry.get("name")):
            return f"{entry['port']} {entry.get('name', '')}".strip()
    return str(port)


def edges(
    manifests: list[dict[str, Any]],
    user_labels: Iterable[Mapping[str, str]],
    flows: Iterable[tuple[Mapping[str, str], Mapping[str, str], int]],
) -> tuple[dict[str, str], list[Edge]]:
    """The nodes (id to label) and edges of an app's picture."""
    nodes: dict[str, str] = {CLIENT: "browser"}
    result: list[Edge] = []
    services = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Service"}
    workloads = [m for m in manifests if m["kind"] in _WORKLOADS]
    config_maps = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "ConfigMap"}
    pods = [
        (_id(w["kind"], w["metadata"]["name"]), w["spec"]["template"]["metadata"]["labels"])
        for w in workloads
    ] + [(USERS, dict(labels)) for labels in user_labels]
    if any(True for _ in user_labels):
        nodes[USERS] = "user servers<br/>(pods the hub spawns)"

    def node(kind: str, name: str) -> str:
        key = _id(kind, name)
        nodes.setdefault(key, _label(kind, name))
        return key

    def to_service(source: str, name: str, port: int | str, label: str) -> None:
        if name in services:
            target = node("Service", name)
            result.append(Edge(source, target, f"{label} :{_port(services[name], port)}".strip()))

    for manifest in manifests:
        kind, name, spec = manifest["kind"], manifest["metadata"]["name"], manifest.get("spec", {})
        if kind == "Ingress":
            here = node(kind, name)
            for rule in spec.get("rules", []):
                for path in rule.get("http", {}).get("paths", []):
                    result.append(Edge(CLIENT, here, f"{rule.get('host', '*')}{path['path']}"))
                    backend = path["backend"]["service"]
                    port = backend["port"].get("number") or backend["port"].get("name")
                    to_service(here, backend["name"], port, "")
        elif kind == "Gateway":
            here = node(kind, name)
            for server in spec.get("servers", []):
                port = server["port"]
                # An HTTP server with httpsRedirect only answers 301: it routes nothing.
                redirect = " (301 to https)" if server.get("tls", {}).get("httpsRedirect") else ""
                # What a browser names: the host without the part that says which
                # namespaces' VirtualServices bind to it ("./hub.example.org").
                result.extend(
                    Edge(CLIENT, here, f"{host.rpartition('/')[2]}:{port['number']}{redirect}")
                    for host in server.get("hosts", [])
                )
        elif kind == "VirtualService":
            here = node(kind, name)
            for gateway in spec.get("gateways", []):
                result.append(Edge(node("Gateway", gateway), here, "routes"))
            for http in spec.get("http", []):
                for route in http.get("route", []):
                    destination = route["destination"]
                    to_service(
                        here,
                        destination["host"].split(".")[0],
                        destination.get("port", {}).get("number", ""),
                        "",
                    )
        elif kind == "Service":
            here = node(kind, name)
            for target, labels in pods:
                if _matches(spec.get("selector") or {}, labels):
                    result.append(Edge(here, target, "selects"))
    for workload in workloads:
        here = node(workload["kind"], workload["metadata"]["name"])
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for arg in container.get("args") or []:
                for url in _URL.finditer(arg):
                    to_service(here, url["name"], int(url["port"]), arg.split("=")[0])
            for env in container.get("env") or []:
                for url in _URL.finditer(env.get("value", "")):
                    to_service(here, url["name"], int(url["port"]), env["name"])
                secret = env.get("valueFrom", {}).get("secretKeyRef")
                if secret:
                    result.append(Edge(here, node("Secret", secret["name"]), "env", traffic=False))
            for source in container.get("envFrom") or []:
                if "secretRef" in source:
                    result.append(
                        Edge(
                            here, node("Secret", source["secretRef"]["name"]), "env", traffic=False
                        )
                    )
        for volume in pod.get("volumes") or []:
            if "configMap" in volume and volume["configMap"]["name"] in config_maps:
                name = volume["configMap"]["name"]
                result.append(Edge(here, node("ConfigMap", name), "mounts", traffic=False))
                data = config_maps[name].get("data", {})
                for key in sorted(data):
                    for where, url in _fields(data[key]):
                        to_service(here, url["name"], int(url["port"]), where or key)
        if pod.get("serviceAccountName"):
            result.append(
                Edge(
                    here,
                    node("ServiceAccount", pod["serviceAccountName"]),
                    "runs as",
                    traffic=False,
                )
            )
    for source_labels, target_labels, port in flows:
        # Only flows that touch the user servers: the rest go through Services, drawn above.
        sources = [key for key, labels in pods if _matches(source_labels, labels)]
        targets = [key for key, labels in pods if _matches(target_labels, labels)]
        if USERS in sources or USERS in targets:
            result.extend(Edge(s, t, f":{port}") for s in sources for t in targets)
    return nodes, _merged(result)


def _merged(drawn: list[Edge]) -> list[Edge]:
    """One arrow per pair of nodes and style, its labels joined (in first-seen order)."""
    labels: dict[tuple[str, str, bool], list[str]] = {}
    for edge in drawn:
        seen = labels.setdefault((edge.source, edge.target, edge.traffic), [])
        if edge.label not in seen:
            seen.append(edge.label)
    return [Edge(s, t, "<br/>".join(label), traffic) for (s, t, traffic), label in labels.items()]


def mermaid(nodes: Mapping[str, str], drawn: Iterable[Edge]) -> str:
    lines = ["```mermaid", "flowchart LR"]
    lines += [f'  {key}["{label}"]' for key, label in nodes.items()]
    for edge in drawn:
        arrow = "-->" if edge.traffic else "-.->"
        lines.append(f'  {edge.source} {arrow}|"{edge.label}"| {edge.target}')
    lines.append("```")
    return "\n".join(lines) + "\n"


def _flows(jupyterhub: JupyterHub) -> list[tuple[Mapping[str, str], Mapping[str, str], int]]:
    labels: dict[Component, dict[str, str]] = jupyterhub.component_labels
    return [
        (labels[f.source], labels[f.target], f.port)
        for f in jupyterhub.flows
        if isinstance(f.source, Component)
    ]


def _read(directory: Path) -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(directory.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def diagram(app: str) -> str:
    """The Mermaid flowchart of ``app``, synthesized at the default Kubernetes version."""
    with tempfile.TemporaryDirectory() as outdir:
        built = APPS[app](outdir, KubernetesVersion.DEFAULT)
        built.app.synth()
        manifests = _read(Path(outdir))
    (jupyterhub,) = (c for c in built.app.node.find_all() if isinstance(c, JupyterHub))
    nodes, drawn = edges(manifests, built.external.pod_labels, _flows(jupyterhub))
    return mermaid(nodes, drawn)


def render(page: str) -> str:
    """``page`` with every diagram block regenerated."""
    return BLOCK.sub(lambda m: m.group(1) + diagram(m["app"]) + m.group(4), page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a picture is stale")
    args = parser.parse_args(argv)
    stale = []
    for page in PAGES:
        current = page.read_text()
        fresh = render(current)
        if fresh != current:
            stale.append(page.relative_to(ROOT))
            if not args.check:
                page.write_text(fresh)
    if args.check and stale:
        for path in stale:
            print(f"{path}: a diagram is stale; run python scripts/diagram.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
