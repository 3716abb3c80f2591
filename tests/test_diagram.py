"""The docs' pictures of the apps are drawn from the synthesized objects, and current: the
README opens with ``minimal``'s, the guide's apps page has ``dev``'s."""

from __future__ import annotations

import re
from functools import cache

import pytest

from scripts.diagram import BLOCK, CLIENT, PAGES, USERS, Edge, diagram, render
from tests.support.manifests import ROOT


@cache
def _drawn(app: str) -> str:
    return diagram(app)


_ARROW = re.compile(r'^  (\S+) (?:-->|-\.->)\|"(.*)"\| (\S+)$')


def _edges(app: str) -> set[tuple[str, str, str]]:
    """``(source, label, target)`` of every arrow drawn."""
    return {(m[1], m[2], m[3]) for line in _drawn(app).splitlines() if (m := _ARROW.match(line))}


@pytest.mark.parametrize("app", ["minimal", "dev"])
def test_pictures_are_current(app: str) -> None:
    drawn = [
        m["body"] for page in PAGES for m in BLOCK.finditer(page.read_text()) if m["app"] == app
    ]
    assert drawn
    assert all(body == _drawn(app) for body in drawn), "stale: run python scripts/diagram.py"


def test_a_stale_picture_is_redrawn() -> None:
    stale = "<!-- diagram: minimal -->\n```mermaid\nflowchart LR\n```\n<!-- /diagram -->\n"
    assert render(stale) == f"<!-- diagram: minimal -->\n{_drawn('minimal')}<!-- /diagram -->\n"


def test_the_picture_opens_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    first_heading = readme.index("\n## ")
    assert readme.index("<!-- diagram: minimal -->") < readme.index("\n## Quick start")
    assert readme.index("\n## What it deploys") == first_heading


def test_minimal_request_path() -> None:
    edges = _edges("minimal")
    # One Ingress, no auth proxy: the hub logs people in itself.
    assert (CLIENT, "jupyterhub.example.org/", "ingress_jupyterhub") in edges
    assert ("ingress_jupyterhub", ":8080 http", "service_jupyterhub_proxy") in edges
    assert not [e for e in edges if "oauth2" in e[2] or "auth_proxy" in e[2]]
    assert ("service_jupyterhub_proxy", "selects", "deployment_jupyterhub_proxy") in edges
    assert ("service_jupyterhub_hub", "selects", "statefulset_jupyterhub_hub") in edges
    # The proxy's targets and the hub's way to the proxy's API.
    assert (
        "deployment_jupyterhub_proxy",
        "--default-target :8081 http<br/>--error-target :8081 http",
        "service_jupyterhub_hub",
    ) in edges
    assert (
        "statefulset_jupyterhub_hub",
        "proxy_api_url :8000 http-api",
        "service_jupyterhub_proxy",
    ) in edges
    assert ("deployment_jupyterhub_proxy", ":8888", USERS) in edges
    assert ("statefulset_jupyterhub_hub", "runs as", "serviceaccount_jupyterhub_hub") in edges


def test_dev_request_path_goes_through_the_gateway() -> None:
    edges = _edges("dev")
    assert ("gateway_jupyterhub", "routes", "virtualservice_jupyterhub") in edges
    # HTTPS is served; HTTP only redirects to it.
    (browser,) = [e for e in edges if e[0] == "browser" and e[2] == "gateway_jupyterhub"]
    assert "notebook.kaidotio.dev:443<br/>" in browser[1] + "<br/>"
    assert "notebook.kaidotio.dev:80 (301 to https)" in browser[1]
    assert ("virtualservice_jupyterhub", ":8080 http", "service_jupyterhub_proxy") in edges
    assert (
        "deployment_jupyterhub_proxy",
        "CONFIGURABLE_PROXY_REDIS_URI :6379 redis",
        "service_jupyterhub_redis",
    ) in edges


def test_edges_follow_the_manifests() -> None:
    """A Service selecting nothing draws no arrow; a URL naming no Service of the app neither."""
    from scripts.diagram import edges

    manifests = [
        {
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]},
        },
        {
            "kind": "Service",
            "metadata": {"name": "orphan"},
            "spec": {"selector": {"app": "gone"}, "ports": [{"port": 81}]},
        },
        {
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "args": [
                                    "--upstream=http://web:80",
                                    "--idp=https://auth.example.org:443",
                                ],
                            }
                        ]
                    },
                }
            },
        },
    ]
    nodes, drawn = edges(manifests, [], [])
    assert drawn == [
        Edge("service_web", "deployment_web", "selects"),
        Edge("deployment_web", "service_web", "--upstream :80 http"),
    ]
    assert "service_orphan" in nodes
