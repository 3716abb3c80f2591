"""Every object ``kubectl apply -f dist/<app>/`` creates fits the annotation kubectl writes.

Client-side apply (the deploy guide's, and Argo CD's by default) stores the whole object as
given in the annotation ``kubectl.kubernetes.io/last-applied-configuration`` (kubectl 1.33
k8s.io/kubectl/pkg/util/apply.go ``GetModifiedConfiguration``: the object without that
annotation, as Go's ``json.Marshal`` writes it), and the API server refuses an object whose
annotations total more than 256 KiB (k8s.io/apimachinery/pkg/api/validation/objectmeta.go
``ValidateAnnotationsSize``, ``TotalAnnotationSizeLimitB``). The hub's ConfigMap carries the
hub's code: the largest object by far. What kubectl writes is checked against the real
kubectl; the limit, against every app and the hub with the most code.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cdk8s
import pytest
import yaml

import apps
from constructs_lib import IstioIngress, IstioProxyOptions
from tests.support.builders import make_chart, make_jupyterhub, synth
from tests.support.commands import run
from tests.support.manifests import ROOT, read_manifests

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
ANNOTATIONS_LIMIT = 256 * 1024
# kubectl's namespace for an object without one: its context's, "default" without one.
CONTEXT_NAMESPACE = "default"


def last_applied(manifest: dict[str, Any]) -> str:
    """The annotation's value: Go's ``json.Marshal`` of the object (keys sorted, as Go writes
    maps; no spaces; ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, encoding/json
    ``HTMLEscape``; other characters as UTF-8), then a newline."""
    given = json.loads(json.dumps(manifest))
    # GetModifiedConfiguration sets the annotations to the object's without this one: an
    # empty map where it had none.
    metadata = given.setdefault("metadata", {})
    metadata["annotations"] = {
        key: value
        for key, value in (metadata.get("annotations") or {}).items()
        if key != LAST_APPLIED
    }
    text = json.dumps(given, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text + "\n"


def annotations_bytes(manifest: dict[str, Any]) -> int:
    """What ValidateAnnotationsSize counts once kubectl has added its annotation: every
    key's and value's bytes."""
    annotations = dict((manifest.get("metadata") or {}).get("annotations") or {})
    annotations[LAST_APPLIED] = last_applied(manifest)
    return sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items())


# The API server's discovery of core v1 ConfigMaps: all kubectl asks before it writes an
# object with --dry-run=client.
_DISCOVERY: dict[str, Any] = {
    "/api": {"kind": "APIVersions", "versions": ["v1"]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": {
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": [
            {
                "name": "configmaps",
                "singularName": "configmap",
                "namespaced": True,
                "kind": "ConfigMap",
                "verbs": ["create", "get", "list", "patch", "update", "delete"],
            }
        ],
    },
}


class _Discovery(http.server.BaseHTTPRequestHandler):
    """Answers ``_DISCOVERY``."""

    def do_GET(self) -> None:
        answer = _DISCOVERY.get(self.path.partition("?")[0])
        body = json.dumps(answer).encode()
        self.send_response(200 if answer is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def discovery() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _hub_config_map(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    """The ConfigMap that carries the hub's code."""
    (hub,) = [
        m for m in manifests if m["kind"] == "ConfigMap" and "hub_runtime.launch.py" in m["data"]
    ]
    return hub


def _istio_proxy_hub() -> list[dict[str, Any]]:
    """A hub that runs the most of its code: IstioProxy (its VirtualService writer), each
    user on a host of their own."""
    chart: cdk8s.Chart = make_chart()
    jupyterhub = make_jupyterhub(
        chart,
        hosts=("hub.example.org",),
        user_hosts="*.users.example.org",
        proxy_options=IstioProxyOptions(),
    )
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    return synth(chart)


@pytest.mark.slow
def test_the_annotation_is_what_kubectl_writes(discovery: str, tmp_path: Path) -> None:
    """The minimal app's hub ConfigMap (its largest object, no annotations) and one with an
    annotation and no namespace, holding each character Go escapes: kubectl's own
    annotation, byte for byte (kubectl fills in its context's namespace)."""
    hub = _hub_config_map(read_manifests(ROOT / "dist" / "minimal"))
    bare: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "annotations": {"a": "b"}},
        "data": {"k": "<a> & 'b' \u2028 \u2029 \u00e9 \"q\" \\"},
    }
    given = tmp_path / "given.yaml"
    given.write_text(yaml.safe_dump_all([hub, bare], allow_unicode=True))
    written = run(
        [
            "kubectl",
            "--server",
            discovery,
            "create",
            "--dry-run=client",
            "--save-config",
            "--validate=false",
            "-o",
            "json",
            "-f",
            given,
        ],
        timeout=60,
    ).stdout
    items = _documents(written)
    expected = [hub, {**bare, "metadata": {**bare["metadata"], "namespace": CONTEXT_NAMESPACE}}]
    assert len(items) == len(expected)
    for item, manifest in zip(items, expected, strict=True):
        assert item["metadata"]["annotations"][LAST_APPLIED] == last_applied(manifest)


def _documents(text: str) -> list[dict[str, Any]]:
    """kubectl's ``-o json`` of several objects: one JSON document after another."""
    documents, at, decoder = [], 0, json.JSONDecoder()
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
    return documents


@pytest.mark.parametrize("name", sorted(apps.APPS))
def test_every_object_of_an_app_fits(name: str) -> None:
    manifests = read_manifests(ROOT / "dist" / name)
    sizes = {f"{m['kind']}/{m['metadata']['name']}": annotations_bytes(m) for m in manifests}
    assert max(sizes.values()) <= ANNOTATIONS_LIMIT, sorted(sizes.items(), key=lambda x: x[1])[-3:]


def test_the_hub_with_the_most_code_fits() -> None:
    hub = _hub_config_map(_istio_proxy_hub())
    assert annotations_bytes(hub) <= ANNOTATIONS_LIMIT


def test_a_hub_gets_only_the_proxy_code_it_runs() -> None:
    """The VirtualService writer goes to a hub with IstioProxy, not to one with CHP."""
    key = "hub_runtime.virtual_services.py"
    chp = _hub_config_map(read_manifests(ROOT / "dist" / "minimal"))
    istio = _hub_config_map(_istio_proxy_hub())
    assert key not in chp["data"]
    assert key in istio["data"]
    assert {item["path"] for item in _volume_items(chp)} == {
        k.replace("hub_runtime.", "hub_runtime/", 1) for k in chp["data"]
    }


def _volume_items(config_map: dict[str, Any]) -> list[dict[str, str]]:
    """The hub's config volume's items, from the minimal app's StatefulSet."""
    (hub,) = [m for m in read_manifests(ROOT / "dist" / "minimal") if m["kind"] == "StatefulSet"]
    (volume,) = [
        v
        for v in hub["spec"]["template"]["spec"]["volumes"]
        if (v.get("configMap") or {}).get("name") == config_map["metadata"]["name"]
    ]
    return list(volume["configMap"]["items"])
