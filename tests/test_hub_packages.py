"""One version set for the hub's packages: the default hub image's (z2jh's requirements,
copied to the Makefile's ``K8S_HUB`` directory). The ``[hub]`` extra pins them, every
environment that installs them (.venv for the previews and the tests, .venv-z2jh, a baked
image) is constrained by that file, and this environment has exactly them installed. Runs
without cdk8s (scripts/test_z2jh runs it too)."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata

import pytest

from tests.support.commands import run
from tests.support.manifests import ROOT, read_manifests

# Besides the [hub] extra, what the hub's behaviour depends on most.
CORE = ("cryptography", "tornado", "traitlets", "sqlalchemy", "alembic")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def image_directory() -> str:
    """The default hub image's package list directory, as the Makefile names it."""
    found = re.search(r"^K8S_HUB := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert found is not None, "the Makefile names no K8S_HUB"
    return found.group(1)


def image_pins() -> dict[str, str]:
    text = (ROOT / image_directory() / "requirements.txt").read_text()
    return {
        _normal(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.MULTILINE)
    }


def hub_extra() -> dict[str, str]:
    """The [hub] extra of pyproject.toml: package -> pinned version."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["optional-dependencies"]["hub"]:
        name, _, version = requirement.partition("==")
        pins[_normal(name.split("[")[0])] = version
    return pins


def test_hub_extra_is_the_images_versions() -> None:
    pins = image_pins()
    assert hub_extra() == {name: pins.get(name, "(not in the image)") for name in hub_extra()}


def test_previews_are_rendered_at_the_images_versions() -> None:
    """KubeSpawner notes the versions it renders with on each object: those of the image."""
    pins = image_pins()
    image = {
        "hub.jupyter.org/jupyterhub-version": pins["jupyterhub"],
        "hub.jupyter.org/kubespawner-version": pins["jupyterhub-kubespawner"],
    }
    previews = sorted(ROOT.glob("dist/*-preview"))
    assert previews
    rendered = {
        (key, (manifest["metadata"].get("annotations") or {}).get(key))
        for directory in previews
        for manifest in read_manifests(directory)
        for key in image
    }
    assert rendered == set(image.items())


def _install_commands(text: str) -> list[str]:
    """The Makefile's or Dockerfile's commands that pip-install something, continuation
    lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if "pip install" in line]


def test_every_install_of_the_hub_packages_is_constrained_by_the_image() -> None:
    """.venv (previews and tests), .venv-z2jh and the Dockerfile's image: the image's
    requirements constrain each; no second pin list exists."""
    directory = image_directory()
    makefile = (ROOT / "Makefile").read_text()
    installs = [
        command
        for command in _install_commands(makefile)
        if "-e '." in command or "hub_requirements.py" in command
    ]
    assert len(installs) == 3, installs  # .venv for synthesis, for the tests, .venv-z2jh
    unconstrained = [c for c in installs if "--constraint $(K8S_HUB)/requirements.txt" not in c]
    assert unconstrained == []
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"COPY {directory}/requirements.txt hub-constraints.txt\n" in dockerfile
    (install,) = [c for c in _install_commands(dockerfile) if "hub-requirements.txt" in c]
    assert "--constraint hub-constraints.txt" in install
    assert sorted(p.name for p in (ROOT / "docker").glob("*constraints*")) == []


@pytest.mark.slow
def test_hub_packages_are_the_images_versions() -> None:
    """What this environment runs the hub (and renders the previews) with."""
    names = run(
        [sys.executable, str(ROOT / "scripts" / "hub_requirements.py"), "--names"]
    ).stdout.split()
    packages = sorted({_normal(name.split("[")[0]) for name in names} | set(CORE))
    pins = image_pins()
    assert {name: metadata.version(name) for name in packages} == {
        name: pins[name] for name in packages
    }
