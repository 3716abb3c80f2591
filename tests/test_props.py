"""One validator for every props type (their type hints), and the renamed fields."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import cdk8s
import pytest

from constructs_lib import (
    Autoscaling,
    Derived,
    HubOptions,
    HubStatefulSet,
    IdleCuller,
    IstioSidecar,
    NotebookProfile,
    ProbeTiming,
    ProfileChoice,
    ProxyOptions,
    ProxyToken,
    UserPods,
    UserVolume,
)
from tests.support.builders import make_jupyterhub, value_error
from tests.support.constants import HOSTS, TRUST

TOKEN = ProxyToken.from_existing_secret("proxy-token")

# Every rename of the one-vocabulary change: (type, old field, new field).
RENAMES = [
    (HubOptions, "activity_interval", "activity_interval_seconds"),
    (IdleCuller, "timeout", "timeout_seconds"),
    (IdleCuller, "every", "every_seconds"),
    (IdleCuller, "max_age", "max_age_seconds"),
    (UserPods, "start_timeout", "start_timeout_seconds"),
    (Autoscaling, "scale_down_window", "scale_down_window_seconds"),
    (ProbeTiming, "initial_delay", "initial_delay_seconds"),
    (ProbeTiming, "period", "period_seconds"),
    (ProbeTiming, "timeout", "timeout_seconds"),
    (IstioSidecar, "cpu", "cpu_request"),
    (IstioSidecar, "memory", "memory_request"),
    (ProfileChoice, "cpu_guarantee", "cpu_request"),
    (ProfileChoice, "mem_guarantee", "memory_request"),
    (ProfileChoice, "mem_limit", "memory_limit"),
    # The claim is one field, as the hub settings hold it (UserVolume.persistent_claim()).
    (UserVolume, "claim_size", "claim"),
    (UserVolume, "storage_class", "claim"),
    (UserVolume, "access_mode", "claim"),
]


@pytest.mark.parametrize(("kind", "old", "new"), RENAMES, ids=lambda v: getattr(v, "__name__", v))
def test_old_field_names_name_the_new_ones(kind: type, old: str, new: str) -> None:
    assert new in {field.name for field in dataclasses.fields(kind)}
    with pytest.raises(TypeError) as error:
        kind(**{old: 1})
    assert str(error.value) == (
        f"{kind.__name__}: {old} was renamed {new} ({kind.__name__}({new}=...)); "
        "see the CHANGELOG's migration table"
    )


def _hub(chart: cdk8s.Chart, **props: Any) -> HubStatefulSet:
    return HubStatefulSet(
        chart,
        "Hub",
        proxy_token=TOKEN,
        header_trust=TRUST,
        profiles=[NotebookProfile(chart, "P")],
        public_hosts=HOSTS,
        **props,
    )


def test_old_name_as_a_construct_prop(chart: cdk8s.Chart) -> None:
    with pytest.raises(TypeError) as error:
        _hub(chart, activity_interval=30)
    assert str(error.value).startswith(
        "test/Hub: activity_interval was renamed activity_interval_seconds"
    )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"replicas": "1"}, "replicas must be a whole number, got '1'"),
        ({"allow_all": 1}, "allow_all must be True or False, got 1"),
        ({"storage_class": 5}, "storage_class must be a string or None, got 5"),
        ({"admin_users": "alice"}, "admin_users must be a list of strings, not a single string"),
        ({"admin_groups": ["ok", 3]}, "admin_groups[1] must be a string, got 3"),
        ({"node_selector": {"disk": 1}}, "node_selector['disk'] must be a string, got 1"),
        # A nested props type is checked field by field, with its path.
        (
            {"culler": IdleCuller(every_seconds="600")},  # type: ignore[arg-type]
            "culler.every_seconds must be a whole number, got '600'",
        ),
        (
            {"user_pods": UserPods(per_user_service="yes")},  # type: ignore[arg-type]
            "user_pods.per_user_service must be True or False, got 'yes'",
        ),
    ],
)
def test_every_field_is_checked_against_its_hint(
    chart: cdk8s.Chart, props: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as error:
        _hub(chart, **props)
    assert str(error.value).startswith(f"test/Hub: {message}")


def test_help_shows_the_real_signature() -> None:
    """The rename check keeps the construct's own signature (``help()`` shows it)."""
    parameters = inspect.signature(NotebookProfile.__init__).parameters
    assert {"cpu_request", "memory_request", "memory_limit"} <= set(parameters)
    assert "kwargs" not in parameters


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"culler": None},
            "test/JupyterHub: culler must be an IdleCuller, or left out for its derived "
            "default, got None",
        ),
        (
            {"hub_options": HubOptions(activity_interval_seconds=None)},  # type: ignore[arg-type]
            "test/JupyterHub/Hub: activity_interval_seconds must be a whole number, or left "
            "out for its derived default, got None",
        ),
        (
            {"proxy_options": ProxyOptions(autoscaling=Autoscaling(max_replicas=None))},  # type: ignore[arg-type]
            "test/JupyterHub/Proxy: autoscaling.max_replicas must be a whole number, or left "
            "out for its derived default, got None",
        ),
    ],
)
def test_none_is_not_a_derived_default(
    chart: cdk8s.Chart, props: dict[str, Any], message: str
) -> None:
    """A derived default is a ``Derived`` member, never ``None``: passing ``None`` names the
    field, and leaving it out is the way to its default."""
    assert value_error(lambda: make_jupyterhub(chart, **props)) == message


def test_derived_defaults_show_in_signatures() -> None:
    hints = inspect.signature(NotebookProfile).parameters
    assert hints["description"].default is Derived.FROM_SIZES
    assert repr(Derived.FROM_SIZES) == "Derived.FROM_SIZES"
    assert Autoscaling().max_replicas is Derived.FROM_ROUTES
    assert HubOptions().activity_interval_seconds is Derived.FROM_PROXY
