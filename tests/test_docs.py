"""Every prop of every exported construct is documented where ``help()`` shows it."""

from __future__ import annotations

import inspect
import pydoc
import re

import constructs
import pytest

import constructs_lib

# A prop's entry in an ``Args:`` section: ``    name: what it does``.
_ENTRY = re.compile(r"^    (?P<name>\w+)(?: \([^)]*\))?: \S")
CONSTRUCTS = sorted(
    name
    for name in constructs_lib.__all__
    if inspect.isclass(obj := getattr(constructs_lib, name))
    and issubclass(obj, constructs.Construct)
)


def _documented(cls: type) -> list[str]:
    """The names in the ``Args:`` sections of the class and ``__init__`` docstrings."""
    names: list[str] = []
    for doc in (cls.__doc__, cls.__init__.__doc__):  # type: ignore[misc]
        in_args = False
        for line in inspect.cleandoc(doc or "").splitlines():
            if line == "Args:":
                in_args = True
            elif in_args and line and not line.startswith(" "):
                in_args = False
            elif in_args and (entry := _ENTRY.match(line)):
                names.append(entry["name"])
    return names


def _props(cls: type) -> list[str]:
    parameters = inspect.signature(cls.__init__).parameters.values()  # type: ignore[misc]
    return [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]


def test_every_construct_is_walked() -> None:
    assert {"JupyterHub", "HubStatefulSet", "CHProxy", "NotebookProfile"} <= set(CONSTRUCTS)


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_every_prop_is_documented(name: str) -> None:
    cls = getattr(constructs_lib, name)
    documented = _documented(cls)
    missing = [prop for prop in _props(cls) if prop not in documented]
    assert not missing, f"{name}: props without an Args: entry: {missing}"
    stale = [prop for prop in documented if prop not in _props(cls)]
    assert not stale, f"{name}: Args: entries for no prop: {stale}"
    assert len(documented) == len(set(documented)), f"{name}: a prop documented twice"


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_help_shows_the_props(name: str) -> None:
    text = pydoc.render_doc(getattr(constructs_lib, name), renderer=pydoc.plaintext)  # type: ignore[attr-defined]
    assert "Args:" in text
    for prop in _props(getattr(constructs_lib, name)):
        assert re.search(rf"^\s*\|?\s*{prop}(?: \([^)]*\))?: ", text, flags=re.M), prop


def test_an_undocumented_prop_is_found() -> None:
    class Documented(constructs.Construct):
        """Example.

        Args:
            size: how big.
        """

        def __init__(
            self, scope: constructs.Construct, id: str, *, size: int = 1, colour: str = "red"
        ) -> None:
            super().__init__(scope, id)

    assert _documented(Documented) == ["size"]
    assert _props(Documented) == ["size", "colour"]
