from __future__ import annotations

import dataclasses
import json

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    Derived,
    MountAccess,
    NotebookProfile,
    ProfileChoice,
    ProfileOption,
    UserVolume,
)
from tests.support.builders import value_error


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    profile = NotebookProfile(chart, "Profile")
    assert dataclasses.asdict(profile.settings) == snapshot_yaml


def test_slug_comes_from_display_name(chart: cdk8s.Chart) -> None:
    profile = NotebookProfile(chart, "P", display_name="GPU Notebook (A100)")
    assert profile.slug == "gpu-notebook-a100"


def test_gpus_set_guarantee_and_limit(chart: cdk8s.Chart) -> None:
    settings = NotebookProfile(chart, "P", gpus=2).settings
    assert settings.extra_resource_guarantees == {"nvidia.com/gpu": "2"}
    assert settings.extra_resource_limits == {"nvidia.com/gpu": "2"}


def test_memory_volume_needs_no_privilege(chart: cdk8s.Chart) -> None:
    profile = NotebookProfile(
        chart, "P", volumes=[UserVolume.memory_volume("scratch", mount_path="/scratch")]
    )
    assert not profile.needs_privileged_pods
    assert profile.settings.volumes[0].memory


def test_host_path_needs_privilege(chart: cdk8s.Chart) -> None:
    profile = NotebookProfile(chart, "P", volumes=UserVolume.reference_set())
    assert profile.needs_privileged_pods


def test_mount_access_is_written(chart: cdk8s.Chart) -> None:
    profile = NotebookProfile(
        chart,
        "P",
        volumes=[
            UserVolume.host_path_volume(
                "data",
                "/data",
                mount_path="/home/jovyan/data",
                access=MountAccess.READ_ONLY_IF_ADMIN,
            )
        ],
    )
    # The hub reads the access by its value.
    written = json.loads(json.dumps(dataclasses.asdict(profile.settings)))
    assert written["volumes"][0]["access"] == "if_admin"


def _error(chart: cdk8s.Chart, **props: object) -> str:
    return value_error(lambda: NotebookProfile(chart, "Profile", **props))  # type: ignore[arg-type]


def test_fails_malformed_cpu(chart: cdk8s.Chart) -> None:
    assert _error(chart, cpu_request="1 core") == (
        "test/Profile: cpu_request must be a Kubernetes quantity such as '500m', '2', "
        "'256Mi' or '1G', got '1 core'"
    )


def test_fails_negative_memory(chart: cdk8s.Chart) -> None:
    assert _error(chart, memory_request="-1Gi") == (
        "test/Profile: memory_request must not be negative, got '-1Gi'"
    )


def test_memory_takes_any_kubernetes_quantity(chart: cdk8s.Chart) -> None:
    settings = NotebookProfile(chart, "P", memory_request="1.5Gi", memory_limit="1e10").settings
    assert (settings.memory_request_bytes, settings.memory_limit_bytes) == (3 * 2**29, 10**10)


def test_fails_fraction_of_a_byte(chart: cdk8s.Chart) -> None:
    assert _error(chart, memory_request="0.5") == (
        "test/Profile: memory_request must be a whole number of bytes, got '0.5'"
    )


def test_fails_millibytes(chart: cdk8s.Chart) -> None:
    assert _error(chart, memory_limit="1500m") == (
        "test/Profile: memory_limit must be a whole number of bytes, got '1500m'"
    )


def test_fails_cpu_finer_than_a_millicore(chart: cdk8s.Chart) -> None:
    assert _error(chart, cpu_limit="0.0005") == (
        "test/Profile: cpu_limit must be a whole number of millicores (at least 1m apart), "
        "got '0.0005'"
    )


def test_fails_exponent_with_suffix(chart: cdk8s.Chart) -> None:
    assert _error(chart, cpu_limit="1e3m") == (
        "test/Profile: cpu_limit must be a Kubernetes quantity such as '500m', '2', '256Mi' or "
        "'1G', got '1e3m'"
    )


def test_fails_limit_below_guarantee(chart: cdk8s.Chart) -> None:
    assert _error(chart, cpu_request="4", cpu_limit="1500m") == (
        "test/Profile: cpu_limit must be at least cpu_request (4), got '1500m'"
    )


def test_fails_memory_limit_below_guarantee_across_units(chart: cdk8s.Chart) -> None:
    assert _error(chart, memory_request="1Gi", memory_limit="1G") == (
        "test/Profile: memory_limit must be at least memory_request (1Gi), got '1G'"
    )


def test_fails_unknown_template_field(chart: cdk8s.Chart) -> None:
    volume = UserVolume.host_path_volume(
        "home", "/data/home", mount_path="/home/jovyan", sub_path="{usr}"
    )
    assert _error(chart, volumes=[volume]) == (
        "test/Profile: volumes[0].sub_path may only use the template fields {safe_username}, "
        "{servername}, {user}, {user_server}, {username}, got '{usr}'"
    )


def test_fails_parent_directory_in_path(chart: cdk8s.Chart) -> None:
    volume = UserVolume.host_path_volume("home", "/data/../etc", mount_path="/home/jovyan")
    assert _error(chart, volumes=[volume]) == (
        "test/Profile: volumes[0].host_path must not contain '..', got '/data/../etc'"
    )


def test_fails_slug_not_dns_label(chart: cdk8s.Chart) -> None:
    assert _error(chart, slug="Big_GPU") == (
        "test/Profile: slug must be a DNS label (lower-case letters, digits and '-', 1-63 "
        "characters, starting and ending with a letter or digit), got 'Big_GPU'"
    )


def test_fails_duplicate_volume_name(chart: cdk8s.Chart) -> None:
    volume = UserVolume.memory_volume("scratch", mount_path="/scratch")
    assert _error(chart, volumes=[volume, volume]) == (
        "test/Profile: volumes[1].name must be unique, got 'scratch'"
    )


def test_fails_negative_gpus(chart: cdk8s.Chart) -> None:
    assert _error(chart, gpus=-1) == (
        "test/Profile: gpus must be a whole number of GPUs, 0 or more, got -1"
    )


def test_no_service_account_token_unless_asked(chart: cdk8s.Chart) -> None:
    assert NotebookProfile(chart, "Plain").settings.service_account_token is False
    asked = NotebookProfile(chart, "Api", service_account_token=True)
    assert asked.settings.service_account_token is True


def test_fails_service_account_token_not_a_bool(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        NotebookProfile(chart, "P", service_account_token="yes")  # type: ignore[arg-type]
    assert str(error.value) == ("test/P: service_account_token must be True or False, got 'yes'")


def test_no_volumes_unless_given(chart: cdk8s.Chart) -> None:
    """Host paths and a root chown make the namespace privileged: never by default."""
    profile = NotebookProfile(chart, "P")
    assert profile.volumes == () and profile.settings.volumes == ()
    assert profile.needs_privileged_pods is False


def test_fails_one_volume_not_in_a_list(chart: cdk8s.Chart) -> None:
    volume = UserVolume.memory_volume("scratch", mount_path="/scratch")
    with pytest.raises(ValueError) as error:
        NotebookProfile(chart, "P", volumes=volume)  # type: ignore[arg-type]
    assert str(error.value).startswith("test/P: volumes must be a list of UserVolume, got ")


@pytest.mark.parametrize(
    ("sizes", "description"),
    [
        ({}, "4 CPU / 32 GB RAM"),
        ({"cpu_limit": "2", "memory_limit": "8Gi"}, "2 CPU / 8 GiB RAM"),
        (
            {
                "cpu_request": "100m",
                "cpu_limit": "500m",
                "memory_request": "128Mi",
                "memory_limit": "512Mi",
            },
            "0.5 CPU / 512 MiB RAM",
        ),
        ({"gpus": 2, "memory_limit": "1500M"}, "4 CPU / 1500 MB RAM / 2 GPUs"),
    ],
)
def test_description_says_the_sizes(
    chart: cdk8s.Chart, sizes: dict[str, object], description: str
) -> None:
    """Left out, the description is the limits the profile gives, never another profile's."""
    profile = NotebookProfile(chart, "P", **sizes)  # type: ignore[arg-type]
    assert profile.settings.description == description


def test_description_says_what_the_choices_give(chart: cdk8s.Chart) -> None:
    """A choice that changes a limit widens the description to the range of every pod the
    profile can spawn; a choice of image alone changes nothing."""
    options = {
        "size": ProfileOption(
            "Size",
            {
                "small": ProfileChoice("Small", cpu_limit="2", memory_limit="8G"),
                "large": ProfileChoice("Large", cpu_limit="16"),
            },
        ),
        "image": ProfileOption("Image", {"lab": ProfileChoice("Lab", image="example/lab:1")}),
    }
    profile = NotebookProfile(chart, "P", options=options)
    assert profile.settings.description == "2 to 16 CPU / 8 GB to 32 GB RAM"


def test_description_counts_gpus_given_as_extra_resources(chart: cdk8s.Chart) -> None:
    profile = NotebookProfile(
        chart,
        "P",
        extra_resource_guarantees={"nvidia.com/gpu": "1"},
        extra_resource_limits={"nvidia.com/gpu": "1"},
    )
    assert profile.settings.description == "4 CPU / 32 GB RAM / 1 GPU"


def test_a_derived_default_of_another_field_is_refused(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: NotebookProfile(chart, "P", slug=Derived.FROM_SIZES)) == (
        "test/P: slug must be a value or Derived.FROM_DISPLAY_NAME (derived from "
        "display_name), got Derived.FROM_SIZES"
    )


def test_description_given_is_kept(chart: cdk8s.Chart) -> None:
    profile = NotebookProfile(chart, "P", cpu_limit="2", description="Small and quick")
    assert profile.settings.description == "Small and quick"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("cpu_guarantee", "cpu_request"),
        ("mem_guarantee", "memory_request"),
        ("mem_limit", "memory_limit"),
    ],
)
def test_old_size_names_name_the_new_ones(chart: cdk8s.Chart, old: str, new: str) -> None:
    with pytest.raises(TypeError) as error:
        NotebookProfile(chart, "P", **{old: "1"})  # type: ignore[arg-type]
    assert str(error.value) == (
        f"NotebookProfile: {old} was renamed {new} (NotebookProfile(..., {new}=...)); "
        "see the CHANGELOG's migration table"
    )
