"""Images: `minimal` runs on public images only, each pinned by tag; pull policies; the image
the hub runs by default is the one whose package versions the hub runtime is tested on."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from apps.minimal import DATASCIENCE_IMAGE
from constructs_lib import DEFAULT_HUB_IMAGE, DEFAULT_PROXY_IMAGE, DEFAULT_USER_IMAGE
from tests.support.docs import all_text
from tests.support.manifests import ROOT, read_manifests

# Every image `minimal` may name, with where it is published and built from. No network here:
# the test holds the names to this list, which the docs' "Images" section documents.
PUBLIC_IMAGES = {
    "quay.io/jupyterhub/k8s-hub:4.4.0": (
        "zero-to-jupyterhub-k8s release 4.4.0, images/hub/Dockerfile"
    ),
    "quay.io/jupyterhub/configurable-http-proxy:5.3.0": (
        "configurable-http-proxy release 5.3.0, Dockerfile"
    ),
    "quay.io/jupyter/scipy-notebook:python-3.12": (
        "jupyter/docker-stacks, images/scipy-notebook (the Python 3.12 line)"
    ),
    "quay.io/jupyter/datascience-notebook:python-3.12": (
        "jupyter/docker-stacks, images/datascience-notebook (the Python 3.12 line)"
    ),
}
# The versions z2jh's requirements.txt pins in the default hub image (docker/k8s-hub-<tag>/).
Z2JH_VERSIONS = {
    "jupyterhub": "5.5.0",
    "jupyterhub-kubespawner": "7.0.0",
    "jupyterhub-idle-culler": "1.4.0",
    "pyjwt": "2.13.0",
    "cryptography": "48.0.1",
    "pycurl": "7.46.0",
}


def _containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Containers of a workload or a bare pod."""
    spec = manifest.get("spec", {})
    pod = spec.get("template", {}).get("spec", spec)
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def _images(app: str) -> dict[str, str]:
    """image -> pull policy of every container and init container in dist/<app>/, and of
    every user-pod container the hub would spawn (dist/<app>-preview/)."""
    found: dict[str, str] = {}
    for directory in (ROOT / "dist" / app, ROOT / "dist" / f"{app}-preview"):
        for manifest in read_manifests(directory):
            for container in _containers(manifest):
                found[container["image"]] = container.get("imagePullPolicy", "")
    return found


def test_minimal_runs_on_public_images_only() -> None:
    images = _images("minimal")
    assert images, "no container found"
    assert sorted(set(images) - set(PUBLIC_IMAGES)) == []


def test_public_images_are_pinned_by_tag() -> None:
    for image in PUBLIC_IMAGES:
        name, _, tag = image.rpartition(":")
        assert "/" in name and tag and tag != "latest" and "/" not in tag, image


def test_defaults_are_the_public_images() -> None:
    """The defaults, and the other image minimal's standard profile offers."""
    defaults = {DEFAULT_HUB_IMAGE, DEFAULT_PROXY_IMAGE, DEFAULT_USER_IMAGE}
    assert defaults | {DATASCIENCE_IMAGE} == set(PUBLIC_IMAGES)


def test_readme_documents_every_public_image() -> None:
    readme = all_text()
    assert [image for image in PUBLIC_IMAGES if f"`{image}`" not in readme] == []


def test_default_hub_image_is_the_tested_one() -> None:
    """The requirements copied from z2jh's tag are the ones the second test venv installs."""
    tag = DEFAULT_HUB_IMAGE.rpartition(":")[2]
    requirements = (ROOT / "docker" / f"k8s-hub-{tag}" / "requirements.txt").read_text()
    pins = dict(re.findall(r"^([a-z0-9-]+)==(\S+)", requirements, re.MULTILINE))
    assert {name: pins.get(name) for name in Z2JH_VERSIONS} == Z2JH_VERSIONS
    assert f"\nK8S_HUB := docker/k8s-hub-{tag}\n" in (ROOT / "Makefile").read_text()
    assert f"docker/k8s-hub-{tag}/requirements.txt" in (ROOT / "Dockerfile").read_text()


def test_proxy_image_is_the_tested_proxy() -> None:
    package = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert DEFAULT_PROXY_IMAGE.endswith(f":{package['configurable-http-proxy']}")


@pytest.mark.parametrize("app", ["minimal", "dev"])
def test_hub_and_proxy_pull_only_if_absent(app: str) -> None:
    """Pinned tags: a node's copy, pulled before or side-loaded, is used as it is."""
    for manifest in read_manifests(ROOT / "dist" / app):
        if manifest["kind"] in ("StatefulSet", "Deployment") and manifest["metadata"]["name"] in (
            "jupyterhub-hub",
            "jupyterhub-proxy",
        ):
            # The hub's upgrade-db init container runs the hub's image, alike.
            for container in _containers(manifest):
                assert container["imagePullPolicy"] == "IfNotPresent", manifest["metadata"]["name"]


@pytest.mark.parametrize(("app", "policy"), [("minimal", "IfNotPresent"), ("dev", "Always")])
def test_user_image_pull_policy(app: str, policy: str) -> None:
    """Always only where the reference asks for it: dev's profiles."""
    previews = read_manifests(ROOT / "dist" / f"{app}-preview")
    policies = {
        c["imagePullPolicy"] for m in previews if m["kind"] == "Pod" for c in _containers(m)
    }
    assert policies == {policy}


def test_dev_proxy_image_is_built_from_the_recipe() -> None:
    """dev keeps routes in Redis: its proxy image is the recipe's, in the deployer's registry,
    tagged with the CHP version the recipe builds on."""
    recipe = (ROOT / "docker" / "proxy-redis.Dockerfile").read_text()
    chp = re.findall(
        r"^FROM quay\.io/jupyterhub/configurable-http-proxy:(\S+)$", recipe, re.MULTILINE
    )
    (proxy,) = [
        m
        for m in read_manifests(ROOT / "dist" / "dev")
        if m["kind"] == "Deployment" and m["metadata"]["name"] == "jupyterhub-proxy"
    ]
    (container,) = _containers(proxy)
    assert container["image"] == f"registry.example.org/jupyterhub/proxy-redis:{chp[0]}"
