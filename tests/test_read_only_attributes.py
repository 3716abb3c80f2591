"""A construct's public attributes are fixed once it is made: synthesis uses the props given
to its constructor, so a later assignment would be silently ignored. It is an
``AttributeError`` that names the attribute and the prop to pass instead, for every construct
of this library."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest

from apps import BuiltApp
from constructs_lib import NotebookProfile
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._handles import Handle
from tests.support.builders import make_jupyterhub, synth


def _attribute_error(target: object, name: str, value: object = "x") -> str:
    with pytest.raises(AttributeError) as error:
        setattr(target, name, value)
    return str(error.value)


def test_fails_setting_a_prop_after_construction(chart: cdk8s.Chart) -> None:
    profile = NotebookProfile(chart, "Profile")
    assert _attribute_error(profile, "display_name") == (
        "test/Profile: NotebookProfile.display_name cannot be set after construction "
        "(synthesis uses what the constructor was given): pass display_name= to "
        "NotebookProfile(...) instead"
    )
    assert profile.display_name == "Standard Notebook"


def test_fails_setting_a_derived_attribute(chart: cdk8s.Chart) -> None:
    profile = NotebookProfile(chart, "Profile")
    assert _attribute_error(profile, "settings", None) == (
        "test/Profile: NotebookProfile.settings cannot be set after construction "
        "(synthesis uses what the constructor was given): it follows from the props given "
        "to NotebookProfile(...): change those instead"
    )


def test_fails_setting_a_new_attribute(chart: cdk8s.Chart) -> None:
    # A misspelt prop would otherwise be one more ignored attribute.
    profile = NotebookProfile(chart, "Profile")
    assert _attribute_error(profile, "dispaly_name") == (
        "test/Profile: NotebookProfile.dispaly_name cannot be set after construction "
        "(synthesis uses what the constructor was given): NotebookProfile takes its props at "
        "construction, and dispaly_name is none of them"
    )


def test_fails_deleting_an_attribute(chart: cdk8s.Chart) -> None:
    profile = NotebookProfile(chart, "Profile")
    with pytest.raises(AttributeError) as error:
        del profile.slug
    assert str(error.value).startswith(
        "test/Profile: NotebookProfile.slug cannot be set after construction"
    )
    assert profile.slug == "standard-notebook"


def test_the_synthesized_objects_keep_the_given_props(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    before = synth(chart)
    with pytest.raises(AttributeError):
        jupyterhub.hub.port = 9999
    assert synth(chart) == before


class _Extended(NotebookProfile):
    """A user's subclass sets attributes of its own in its constructor."""

    def __init__(self, scope: cdk8s.Chart, id: str, **props: Any) -> None:
        super().__init__(scope, id, **props)
        self.team = "physics"


def test_a_subclass_sets_its_attributes_in_its_constructor(chart: cdk8s.Chart) -> None:
    profile = _Extended(chart, "Profile")
    assert profile.team == "physics"
    assert _attribute_error(profile, "team").startswith(
        "test/Profile: _Extended.team cannot be set after construction"
    )


def test_private_attributes_and_the_node_stay_free(chart: cdk8s.Chart) -> None:
    # jsii and the constructs library keep their own state on the object (``__jsii_ref__``).
    jupyterhub = make_jupyterhub(chart)
    jupyterhub._note = 1  # type: ignore[attr-defined]
    jupyterhub.node.default_child = jupyterhub.hub.service
    assert jupyterhub.node.default_child is not None


def _public_attributes(built: BuiltApp) -> list[tuple[LibraryConstruct, str]]:
    return [
        (construct, name)
        for construct in built.app.node.find_all()
        if isinstance(construct, LibraryConstruct)
        for name in vars(construct)
        if not name.startswith("_")
    ]


@pytest.mark.parametrize("name", ["dev", "minimal"])
def test_every_public_attribute_of_every_construct_is_fixed(
    synthesized: dict[tuple[str, str], Any], name: str
) -> None:
    built = next(app for (app_name, _), (app, _) in synthesized.items() if app_name == name)
    attributes = _public_attributes(built)
    assert len({type(construct) for construct, _ in attributes}) >= 5
    settable = []
    for construct, attribute in attributes:
        before = getattr(construct, attribute)
        try:
            setattr(construct, attribute, None)
        except AttributeError as error:
            assert f"{type(construct).__name__}.{attribute} cannot be set" in str(error)
        else:
            settable.append(f"{construct.node.path}.{attribute}")
        assert getattr(construct, attribute) is before
    assert settable == []


class _Unmade(LibraryConstruct):
    """A construct that leaves one of its handles unset."""

    thing = Handle[int]("Made later, if ever.")


def test_a_handle_left_unset_is_not_set_afterwards(chart: cdk8s.Chart) -> None:
    unmade = _Unmade(chart, "Unmade")
    assert _attribute_error(unmade, "thing", 1).startswith("_Unmade.thing is read-only")
