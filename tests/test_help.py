"""``help()`` on a public construct shows its real signature, its constructor's doc and every
handle it keeps on the objects it made or was given."""

from __future__ import annotations

import inspect
import pydoc
import typing
from collections.abc import Iterator
from typing import Any

import cdk8s
import constructs
import pytest

import constructs_lib
from constructs_lib import (
    GatewayApiIngress,
    GatewayRef,
    IstioIngress,
    IstioProxyOptions,
    JupyterHub,
    ProxyToken,
)
from constructs_lib._core._handles import Handle
from tests.support.constants import HOSTS, TRUST

CONSTRUCTS = sorted(
    name
    for name in constructs_lib.__all__
    if inspect.isclass(obj := getattr(constructs_lib, name))
    and issubclass(obj, constructs.Construct)
)


def _help(obj: object) -> str:
    return pydoc.render_doc(obj, renderer=pydoc.plaintext)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_help_shows_the_real_signature(name: str) -> None:
    cls = getattr(constructs_lib, name)
    parameters = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in parameters[:2]] == ["scope", "id"]
    # ``**props`` is real (an options type's fields as keywords); ``*args`` is jsii's.
    assert inspect.Parameter.VAR_POSITIONAL not in {p.kind for p in parameters}
    text = _help(cls)
    assert f"{name}(scope: " in text
    assert "(*args" not in text
    assert "Creates a new construct node." not in text
    assert f"class {name} in module constructs_lib\n" in text


def test_a_subclass_shows_its_own_signature() -> None:
    class Named(JupyterHub):
        def __init__(self, scope: constructs.Construct, id: str, *, colour: str) -> None:
            """Make one."""

    assert list(inspect.signature(Named).parameters) == ["scope", "id", "colour"]


def _mixed_proxies() -> cdk8s.App:
    """The constructs the apps leave out: IstioProxy and GatewayApiIngress."""
    app = cdk8s.App()
    chart = cdk8s.Chart(app, "help", namespace="jupyterhub")
    istio = JupyterHub(
        chart,
        "Istio",
        header_trust=TRUST,
        hosts=HOSTS,
        release="mesh",
        proxy_token=ProxyToken.from_existing_secret("token"),
        proxy_options=IstioProxyOptions(),
    )
    IstioIngress(chart, "IstioIngress", jupyterhub=istio)
    chp = JupyterHub(
        chart,
        "Chp",
        header_trust=TRUST,
        hosts=HOSTS,
        proxy_token=ProxyToken.from_existing_secret("token"),
    )
    GatewayApiIngress(chart, "Route", jupyterhub=chp, gateway=GatewayRef("public", "gateways"))
    return app


def _constructs_in(value: Any) -> Iterator[constructs.Construct]:
    values = value.values() if isinstance(value, dict) else value
    for item in values if isinstance(values, list | tuple) else (values,):
        if isinstance(item, constructs.Construct):
            yield item


def _handles_of(app: cdk8s.App) -> dict[type, set[str]]:
    """Each exported construct class in ``app`` -> its attributes that hold constructs."""
    public = {getattr(constructs_lib, name) for name in CONSTRUCTS}
    found: dict[type, set[str]] = {}
    for node in app.node.find_all():
        if type(node) in public:
            names = found.setdefault(type(node), set())
            names.update(
                name for name in _attributes(node) if any(_constructs_in(getattr(node, name)))
            )
    return found


def _attributes(node: constructs.IConstruct) -> set[str]:
    """The public attributes of ``node``: those set on it and those its class declares as
    properties or handles (a handle keeps its value under a private name)."""
    declared = {
        name
        for klass in type(node).__mro__
        for name, member in vars(klass).items()
        if isinstance(member, property | Handle)
    }
    return {name for name in {*vars(node), *declared} if not name.startswith("_")}


def test_help_lists_every_handle(synthesized: dict[tuple[str, str], Any]) -> None:
    found: dict[type, set[str]] = {}
    for app in [built.app for built, _ in synthesized.values()] + [_mixed_proxies()]:
        for cls, names in _handles_of(app).items():
            found.setdefault(cls, set()).update(names)
    assert {"hub", "proxy", "profiles"} <= found[JupyterHub]
    unlisted: dict[str, list[str]] = {}
    for cls, names in found.items():
        text = _help(cls)
        for name in sorted(names):
            declared = inspect.getattr_static(cls, name, None)
            doc = inspect.getdoc(declared) if inspect.isdatadescriptor(declared) else None
            if not doc or f"\n |  {name}\n |      {doc.splitlines()[0]}" not in text:
                unlisted.setdefault(cls.__name__, []).append(name)
    assert unlisted == {}


def test_a_handle_read_too_early_is_an_attribute_error() -> None:
    class Early:
        thing = Handle[int]("A thing.")

    with pytest.raises(AttributeError, match="thing is not made yet"):
        _ = Early().thing
    early = Early()
    early.thing = 3
    assert early.thing == 3
    assert Early.thing.__doc__ == "A thing."


@pytest.mark.parametrize(
    "name", [n for n in constructs_lib.__all__ if inspect.isclass(getattr(constructs_lib, n))]
)
def test_type_hints_resolve_under_the_public_module(name: str) -> None:
    """``__module__`` names the package, whose namespace lacks ``Sequence`` and private types:
    the hints still resolve, as a validator reading them needs."""
    cls = getattr(constructs_lib, name)
    assert cls.__module__ == "constructs_lib"
    hints = typing.get_type_hints(cls)
    assert not any(isinstance(hint, str) for hint in hints.values())
