"""Images pinned by digest: every image prop takes ``name:tag@sha256:…`` as its one value, the
digest checked as the kubelet's pull checks it (opencontainers/go-digest), and a site file
pins dev's images the way a CI writes them after a push."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cdk8s
import pytest
import yaml

from apps.__main__ import main
from constructs_lib import NotebookProfile, ProfileChoice, ProfileOption
from tests.support.builders import find, make_chart, make_jupyterhub, synth, value_error
from tests.support.manifests import read_manifests

DIGEST = "sha256:" + "0123456789abcdef" * 4
HUB = f"registry.uni.edu/jupyterhub/hub:1.0.0@{DIGEST}"
RULE = (
    "must pin its digest as sha256: and 64 lower-case hex digits (sha384: 96, sha512: 128), "
    "as `docker buildx imagetools inspect` prints it"
)


def _containers(manifests: list[dict[str, Any]], kind: str) -> dict[str, str]:
    pod = find(manifests, kind)["spec"]["template"]["spec"]
    return {c["name"]: c["image"] for c in pod["containers"]}


def test_hub_and_proxy_pinned(chart: cdk8s.Chart) -> None:
    proxy = f"quay.io/jupyterhub/configurable-http-proxy:5.3.0@{DIGEST}"
    make_jupyterhub(chart, hub_image=HUB, proxy_image=proxy)
    manifests = synth(chart)
    assert _containers(manifests, "StatefulSet")["hub"] == HUB
    assert _containers(manifests, "Deployment")["proxy"] == proxy
    # A pinned image needs no scanner exception for an unpinned one (CKV_K8S_43).
    hub = find(manifests, "StatefulSet")["metadata"].get("annotations", {})
    assert not any("CKV_K8S_43" in value for value in hub.values())


@pytest.mark.parametrize(
    "digest",
    ["sha384:" + "a" * 96, "sha512:" + "b" * 128, "sha256:" + "c" * 64],
)
def test_digests_a_runtime_pulls_by(chart: cdk8s.Chart, digest: str) -> None:
    image = f"quay.io/jupyter/scipy-notebook:2026-01-01@{digest}"
    assert NotebookProfile(chart, "P", image=image).settings.image == image


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:" + "a" * 32,  # the reference grammar's minimum, not a sha256
        "sha256:" + "A" * 64,  # go-digest: "Note that /A-F/ disallowed"
        "sha256:" + "a" * 65,
        "md5:" + "a" * 32,  # no runtime pulls by it
        "sha384:" + "a" * 64,
    ],
)
def test_fails_digest_no_runtime_pulls_by(chart: cdk8s.Chart, digest: str) -> None:
    image = f"registry.uni.edu/hub:1@{digest}"
    assert value_error(lambda: make_jupyterhub(chart, hub_image=image)) == (
        f"test/JupyterHub/Hub: image {RULE}, got {image!r}"
    )


def test_fails_bad_digest_of_a_proxy_image(chart: cdk8s.Chart) -> None:
    image = "quay.io/jupyterhub/configurable-http-proxy@sha256:abc"
    # The reference grammar wants 32 hex digits at least: this one fails before the digest.
    assert value_error(lambda: make_jupyterhub(chart, proxy_image=image)).startswith(
        "test/JupyterHub/Proxy: image must be an image reference"
    )
    short = "quay.io/jupyterhub/configurable-http-proxy@sha256:" + "f" * 40
    assert value_error(lambda: make_jupyterhub(make_chart(), proxy_image=short)) == (
        f"test/JupyterHub/Proxy: image {RULE}, got {short!r}"
    )


def test_fails_bad_digest_of_a_choice_image(chart: cdk8s.Chart) -> None:
    image = "quay.io/jupyter/r-notebook@sha512:" + "a" * 64
    options = {"image": ProfileOption("Image", {"r": ProfileChoice("R", image=image)})}
    assert value_error(lambda: NotebookProfile(chart, "P", options=options)) == (
        f"test/P: options['image'].choices['r'].image {RULE}, got {image!r}"
    )


# dev's images in a site file, as a CI writes them after pushing.

IDENTITY_PROVIDER = {
    "issuer": "https://login.uni.edu/realms/hub",
    "audience": "hub",
    "jwks_url": "https://login.uni.edu/realms/hub/certs",
}


def _site(tmp_path: Path, images: dict[str, str]) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump({"identity_provider": IDENTITY_PROVIDER, "images": images}))
    return path


def test_site_pins_dev_s_images(tmp_path: Path) -> None:
    proxy = f"registry.uni.edu/jupyterhub/proxy-redis:5.3.0@{DIGEST}"
    site = _site(tmp_path, {"proxy": proxy, "hub": HUB})
    outdir = tmp_path / "out"
    assert main(["--app", "dev", "--site", str(site), "--outdir", str(outdir)]) == 0
    manifests = read_manifests(outdir / "dev")
    proxies = [
        m for m in manifests if m["kind"] == "Deployment" and "proxy" in m["metadata"]["name"]
    ]
    (container,) = [
        c for c in proxies[0]["spec"]["template"]["spec"]["containers"] if c["name"] == "proxy"
    ]
    assert container["image"] == proxy
    hub = [
        m
        for m in manifests
        if m["kind"] == "StatefulSet" and m["metadata"]["name"] == "jupyterhub-hub"
    ]
    assert hub[0]["spec"]["template"]["spec"]["containers"][0]["image"] == HUB


def test_site_pinned_proxy_is_built_by_its_tag() -> None:
    from apps.dev import DevChart

    proxy = f"registry.uni.edu/jupyterhub/proxy-redis:5.3.0@{DIGEST}"
    chart = DevChart(cdk8s.Testing.app(), "jupyterhub", proxy_image=proxy)
    (image,) = [p for p in chart.external.prerequisites if p.name == proxy]
    assert image.build_command is not None
    assert "-t registry.uni.edu/jupyterhub/proxy-redis:5.3.0 ." in image.build_command
    assert "@" not in image.build_command


def test_site_fails_bad_digest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proxy = "registry.uni.edu/jupyterhub/proxy-redis:5.3.0@sha256:" + "A" * 64
    site = _site(tmp_path, {"proxy": proxy})
    assert main(["--app", "dev", "--site", str(site), "--outdir", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == f"error: {site}: images.proxy {RULE}, got {proxy!r}\n"
    assert not (tmp_path / "o").exists()
