"""What a spawn request may ask for (``hub_runtime.spawn_options``), option by option, on a
KubeSpawner ``profile_list`` written by hand: one with a free-form choice, which the
constructs never write, as KubeSpawner documents it (kubespawner 7.1 ``spawner.py``,
``profile_list`` help: ``unlisted_choice`` with ``enabled`` and ``validation_regex``).
A real hub refusing each through the form and the API:
tests/adversarial/test_forged_spawn_options.py."""

from __future__ import annotations

from typing import Any

import pytest

from hub_runtime.preview import with_spawner
from hub_runtime.settings import HubSettings, parse_settings
from hub_runtime.spawn_options import options_problem
from tests.support.manifests import ROOT, read_manifests

PROFILES: list[dict[str, Any]] = [
    {
        "slug": "lab",
        "display_name": "Lab",
        "profile_options": {
            "image": {
                "display_name": "Image",
                "choices": {"scipy": {}, "big": {}},
                "unlisted_choice": {
                    "enabled": True,
                    "validation_regex": r"^quay\.io/jupyter/[a-z-]+:[a-z0-9.-]+$",
                },
            },
            "size": {"display_name": "Size", "choices": {"s": {}, "m": {}}},
        },
    },
    {"slug": "gpu", "display_name": "GPU", "profile_options": {"cuda": {"choices": {"12": {}}}}},
]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"profile": "lab"},
        {"profile": "lab", "image": "big", "size": "m"},
        # An empty choice is the option's default, as KubeSpawner reads it.
        {"profile": "lab", "image": "", "size": ""},
        {"profile": "lab", "image--unlisted-choice": "quay.io/jupyter/r-notebook:2024-01-01"},
        {"profile": "gpu", "cuda": "12"},
    ],
)
def test_offered_options_pass(options: dict[str, Any]) -> None:
    assert options_problem(PROFILES, options) is None


def test_fails_free_form_value_not_matching() -> None:
    options = {"profile": "lab", "image--unlisted-choice": "quay.io/jupyter/x:1\nevil"}
    assert options_problem(PROFILES, options) == (
        "Spawn option 'image--unlisted-choice': 'quay.io/jupyter/x:1\\nevil' is not a free-form "
        r"Image this profile takes (it must match ^quay\.io/jupyter/[a-z-]+:[a-z0-9.-]+$)"
    )


def test_fails_free_form_value_not_a_string() -> None:
    options = {"profile": "lab", "image--unlisted-choice": {"name": "x"}}
    assert options_problem(PROFILES, options) == (
        "Spawn option 'image--unlisted-choice': must be a string, got an object"
    )


def test_fails_free_form_key_of_an_option_the_profile_lacks() -> None:
    options = {"profile": "lab", "cuda--unlisted-choice": "13"}
    assert options_problem(PROFILES, options) == (
        "Spawn option 'cuda--unlisted-choice': profile 'lab' has no such option (its options: "
        "image, size; 'cuda' is an option of 'gpu')"
    )


def test_fails_free_form_where_the_option_takes_none() -> None:
    assert options_problem(PROFILES, {"profile": "lab", "size--unlisted-choice": "xl"}) == (
        "Spawn option 'size--unlisted-choice': profile 'lab' takes no free-form Size (choose "
        "one of s, m)"
    )


def test_fails_empty_profile_with_options() -> None:
    assert options_problem(PROFILES, {"profile": "", "size": "s"}) == (
        "Spawn option 'profile': missing (choose one of lab, gpu)"
    )


def test_fails_options_where_the_hub_has_no_profiles() -> None:
    assert options_problem([], {"profile": "lab"}) == (
        "Spawn option 'profile': no profile 'lab' (this hub has no profiles)"
    )


def test_fails_a_long_choice_shown_cut_short() -> None:
    problem = options_problem(PROFILES, {"profile": "lab", "size": "x" * 5000})
    assert problem is not None and len(problem) < 200
    assert problem.endswith("…(5000 chars) (choose one of s, m)")


def test_fails_options_not_an_object() -> None:
    assert options_problem(PROFILES, [("profile", "lab")]) == (
        "Spawn options must be a JSON object of option names and choices, got an array"
    )


def test_spawner_resolves_a_callable_profile_list() -> None:
    """KubeSpawner's profile_list may be a callable of the spawner (awaited): it is the list
    the check reads."""
    config_map = next(
        m for m in read_manifests(ROOT / "dist" / "minimal") if m["kind"] == "ConfigMap"
    )
    settings: HubSettings = parse_settings(config_map["data"]["settings.json"])

    async def check(spawner: Any) -> str | None:
        async def profiles(for_spawner: Any) -> list[dict[str, Any]]:
            assert for_spawner is spawner
            return PROFILES

        spawner.profile_list = profiles
        problem: str | None = await spawner.spawn_options_problem({"profile": "standard"})
        return problem

    assert with_spawner(settings, check, namespace="jupyterhub", user="alice", admin=False) == (
        "Spawn option 'profile': no profile 'standard' (choose one of lab, gpu)"
    )
