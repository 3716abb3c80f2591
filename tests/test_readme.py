"""The documentation's examples (the guide's pages in docs/) run and synthesize what they
promise; the README's front page holds what it says."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import apps
from constructs_lib import USER_PORT, KubernetesVersion
from hub_runtime.settings import VIRTUAL_SERVICE_VERBS
from tests.support.builders import make_chart
from tests.support.commands import run
from tests.support.crd_schemas import validate_custom
from tests.support.docs import README, anchors, example, section
from tests.support.manifests import ROOT, read_manifests


def _run_example(heading: str, tmp_path: Path) -> list[dict[str, Any]]:
    (tmp_path / "main.py").write_text(example(heading))
    run([sys.executable, "main.py"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return read_manifests(tmp_path / "dist")


@pytest.mark.slow
def test_library_example_synthesizes(tmp_path: Path) -> None:
    manifests = _run_example("# Using the library from your own cdk8s app", tmp_path)
    assert sorted(p.name for p in (tmp_path / "dist").iterdir())[0].endswith("namespace.k8s.yaml")
    kinds = {m["kind"] for m in manifests}
    assert {"Namespace", "StatefulSet", "Deployment", "Ingress"} <= kinds
    namespace = next(m for m in manifests if m["kind"] == "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # The escape hatch as shown: both patches land, the proxy's on a list that was empty.
    for kind in ("StatefulSet", "Deployment"):
        workload = next(m for m in manifests if m["kind"] == kind)
        env = workload["spec"]["template"]["spec"]["containers"][0]["env"]
        assert env[-1] == {"name": "TZ", "value": "UTC"}


@pytest.mark.slow
def test_profiles_example_synthesizes(tmp_path: Path) -> None:
    from hub_runtime.preview import render_user_objects
    from hub_runtime.settings import parse_settings

    manifests = _run_example("# Profiles: where pods run, choices, added containers", tmp_path)
    config_map = next(m for m in manifests if m["kind"] == "ConfigMap")
    settings = parse_settings(config_map["data"]["settings.json"])
    pod, *_ = render_user_objects(
        settings,
        namespace="jupyterhub",
        user="alice",
        admin=False,
        profile="lab",
        choices={"image": "r"},
    )
    assert pod["spec"]["nodeSelector"] == {"example.org/pool": "notebooks"}
    assert pod["spec"]["containers"][0]["image"].startswith("quay.io/jupyter/datascience-notebook")
    assert pod["spec"]["containers"][1]["args"] == ["--prefix", "alice"]
    gpu, *_ = render_user_objects(
        settings, namespace="jupyterhub", user="alice", admin=False, profile="gpu"
    )
    assert gpu["spec"]["tolerations"][0]["key"] == "nvidia.com/gpu"


@pytest.mark.slow
def test_bursts_example_synthesizes(tmp_path: Path) -> None:
    manifests = _run_example(
        "# Ready for bursts: placeholders, image puller, user scheduler", tmp_path
    )
    named = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    assert {
        ("Deployment", "jupyterhub-user-placeholder"),
        ("DaemonSet", "jupyterhub-continuous-image-puller"),
        ("Deployment", "jupyterhub-user-scheduler"),
    } <= named
    placeholders = next(
        m
        for m in manifests
        if m["metadata"]["name"] == "jupyterhub-user-placeholder" and m["kind"] == "Deployment"
    )
    assert placeholders["spec"]["replicas"] == 5


@pytest.mark.slow
def test_cdk8s_plus_example_synthesizes(tmp_path: Path) -> None:
    manifests = _run_example("# With cdk8s-plus (`constructs_lib.plus`)", tmp_path)
    ingress = next(m for m in manifests if m["kind"] == "Ingress")
    (path,) = ingress["spec"]["rules"][0]["http"]["paths"]
    assert path["backend"]["service"] == {"name": "jupyterhub-proxy", "port": {"number": 8080}}
    policy = next(m for m in manifests if m["kind"] == "NetworkPolicy")
    assert policy["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "jupyterhub",
        "app.kubernetes.io/component": "singleuser-server",
    }
    assert policy["spec"]["ingress"][0]["ports"] == [{"port": USER_PORT, "protocol": "TCP"}]
    binding = next(
        m
        for m in manifests
        if m["kind"] == "RoleBinding"
        and m["roleRef"]["kind"] == "Role"
        and m["subjects"][0].get("namespace") == "jupyterhub"
    )
    assert binding["subjects"][0]["name"] == "jupyterhub-hub"
    proxy = next(m for m in manifests if m["kind"] == "Deployment")
    assert proxy["spec"]["template"]["spec"]["containers"][0]["envFrom"] == [
        {"secretRef": {"name": "jupyterhub-proxy-token"}}
    ]


@pytest.mark.slow
def test_gateway_api_example_synthesizes(tmp_path: Path) -> None:
    """The HTTPRoute as the README promises, valid by the vendored Gateway API CRD, and the
    proxy open to the Gateway's pods only (besides the app's own flows)."""
    manifests = _run_example("# Behind a Gateway API Gateway (`GatewayApiIngress`)", tmp_path)
    route = next(m for m in manifests if m["kind"] == "HTTPRoute")
    validate_custom(route)
    assert route["metadata"]["namespace"] == "jupyterhub"
    assert route["spec"]["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": "public",
            "namespace": "gateways",
            "sectionName": "https",
        }
    ]
    hub_rule, other_rule = route["spec"]["rules"]
    assert hub_rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/hub"}}]
    assert "filters" not in hub_rule
    # A client's own Authorization (an API token) passes to user servers.
    assert other_rule["filters"][0]["requestHeaderModifier"]["remove"] == ["X-Auth-Request-User"]
    assert not [m for m in manifests if m["kind"] == "ReferenceGrant"]
    proxy_policy = next(
        m
        for m in manifests
        if m["kind"] == "NetworkPolicy" and m["metadata"]["name"] == "jupyterhub-proxy"
    )
    public = next(r for r in proxy_policy["spec"]["ingress"] if r["ports"][0]["port"] == 8080)
    assert public["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateways"}},
            "podSelector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "public"}},
        }
    ]


def test_readme_links_reach_the_pages_and_their_sections() -> None:
    """The front page is outside the site (whose build checks its own links): its links to
    the pages, and to a section of one, checked here."""
    links = re.findall(r"\]\(((?!https?:)[^)#]+)(?:#([\w-]+))?\)", README.read_text())
    assert links
    broken = [
        f"{path}#{section}" if section else path
        for path, section in links
        if not (ROOT / path).is_file() or (section and section not in anchors(ROOT / path))
    ]
    assert broken == []


def test_readme_opens_with_the_two_commands() -> None:
    lines = README.read_text().splitlines()
    assert lines[:4] == [
        "```sh",
        "make synth   # fresh machine: installs what synthesis needs (pip only), writes dist/",
        "make test    # fresh machine: adds the test tools (pip, npm, apt); lint, types, all tests",
        "```",
    ]


_ROW = re.compile(r"^\| `(?P<kind>[^`]+)` \| `(?P<name>[^`]+)` \| (?P<reason>.+) \|$")


@pytest.mark.parametrize("name", sorted(apps.APPS))
def test_readme_lists_each_apps_prerequisites(name: str, tmp_path: Path) -> None:
    """The README's table under each app is exactly what the app declares (and the integrity
    tests hold the app to every object its pods and user pods name)."""
    built = apps.APPS[name](str(tmp_path), KubernetesVersion.DEFAULT)
    rows = [
        m.groupdict() for line in section(f"## `{name}`").splitlines() if (m := _ROW.match(line))
    ]
    assert rows == [
        {"kind": p.kind, "name": p.ref, "reason": p.description}
        for p in built.external.prerequisites
    ]


@pytest.mark.slow
def test_istio_proxy_example_synthesizes(tmp_path: Path) -> None:
    """No proxy workload; the hub's Role writes VirtualServices and its settings say so."""
    manifests = _run_example("# An Istio-native proxy (`IstioProxy`)", tmp_path)
    assert not [m for m in manifests if m["kind"] == "Deployment"]
    role = next(
        m for m in manifests if m["kind"] == "Role" and m["metadata"]["name"] == "jupyterhub-hub"
    )
    assert {
        "apiGroups": ["networking.istio.io"],
        "resources": ["virtualservices"],
        "verbs": list(VIRTUAL_SERVICE_VERBS),
    } in role["rules"]
    assert not [m for m in manifests if m["kind"] == "VirtualService"]
    assert any(
        m["kind"] == "EnvoyFilter" and "auth-headers" in m["metadata"]["name"] for m in manifests
    )
    settings = next(m for m in manifests if m["kind"] == "ConfigMap")["data"]["settings.json"]
    assert '"gateway": "jupyterhub"' in settings


def test_z2jh_comparison_names_tests_that_exist() -> None:
    """Every row marked ✓ here names a test module (and test) that exists, and the issue's
    features are all rows."""
    table = section("## Compared with Zero to JupyterHub", README.read_text())
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    ours = [row.split(" | ")[2] for row in rows[1:]]
    assert sum(cell.startswith("✓") for cell in ours) >= 10, ours
    for row in rows[1:]:
        cells = row.split(" | ")
        if not cells[2].startswith("✓"):
            continue
        cited = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", cells[3])
        assert cited, f"a ✓ row names no test: {row}"
        for module, name in cited:
            source = (ROOT / module).read_text()
            assert not name or re.search(rf"def {name}\b", source), (module, name)


def test_development_pages_example_tests_pass() -> None:
    """The example tests on the development page, run as pytest would run them."""
    namespace: dict[str, Any] = {}
    exec(compile(example("## Adding a test"), "docs/development.md", "exec"), namespace)
    tests = [test for name, test in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        test(make_chart())


@pytest.mark.slow
def test_traefik_proxy_example_synthesizes(tmp_path: Path) -> None:
    manifests = _run_example("# Traefik as the proxy (`TraefikProxy`)", tmp_path)
    proxy = next(m for m in manifests if m["kind"] == "Deployment")
    container = proxy["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "docker.io/library/traefik:v3.7.15"
    assert "--providers.redis.endpoints=jupyterhub-redis:6379" in container["args"]
    scaler = next(m for m in manifests if m["kind"] == "HorizontalPodAutoscaler")
    assert scaler["spec"]["minReplicas"] == 2
    redis = next(
        m
        for m in manifests
        if m["kind"] == "NetworkPolicy" and m["metadata"]["name"] == "jupyterhub-redis"
    )
    admitted = [peer["podSelector"]["matchLabels"] for peer in redis["spec"]["ingress"][0]["from"]]
    assert [labels["app.kubernetes.io/component"] for labels in admitted] == ["proxy", "hub"]
