from __future__ import annotations

import pytest

from constructs_lib import KubernetesVersion


def test_parses_minor_and_patch() -> None:
    assert KubernetesVersion.of("v1.31.4") == KubernetesVersion(1, 31)
    assert str(KubernetesVersion.of("1.37")) == "1.37"


def test_feature_gates() -> None:
    assert not KubernetesVersion.of("1.29").has_sleep_action
    assert KubernetesVersion.of("1.30").has_sleep_action
    assert not KubernetesVersion.of("1.30").has_traffic_distribution
    assert KubernetesVersion.of("1.31").has_traffic_distribution


def test_fails_too_old() -> None:
    with pytest.raises(ValueError) as error:
        KubernetesVersion.of("1.27")
    assert str(error.value) == "kubernetes_version must be 1.28 or newer, got '1.27'"


def test_fails_malformed() -> None:
    with pytest.raises(ValueError) as error:
        KubernetesVersion.of("latest")
    assert str(error.value) == "kubernetes_version must look like '1.33', got 'latest'"
