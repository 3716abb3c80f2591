"""Build the RFC 3987 grammar of jsonschema's format checker on first use, not at hub start.

JupyterHub imports jupyter-events before it reads any configuration; jupyter-events imports
jsonschema, whose format checker imports ``rfc3987_syntax`` for the "iri" and
"iri-reference" formats, and that module builds Lark parsers of the whole RFC as it is
imported: about a second of CPU on every start. No schema the hub validates uses those
formats. The hub's command (:mod:`hub_runtime.launch`) therefore puts a stand-in in the
module's place before JupyterHub is imported: it has the same functions, which import the
real module on their first call. Format checking is unchanged; an IRI is still checked by
the real grammar, built when the first one is.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

__all__ = ["MODULE", "defer_iri_grammar"]

MODULE = "rfc3987_syntax"


def defer_iri_grammar() -> bool:
    """Put the stand-in in place; False (nothing done) when the module is absent or already
    imported."""
    if MODULE in sys.modules or importlib.util.find_spec(MODULE) is None:
        return False
    stand_in = types.ModuleType(MODULE, "Stand-in: imports rfc3987_syntax on first use.")
    lock = threading.Lock()

    def real() -> Any:
        module = sys.modules.get(MODULE)
        if module is not None and module is not stand_in:
            return module
        with lock:
            if sys.modules.get(MODULE) is stand_in:
                del sys.modules[MODULE]
                try:
                    importlib.import_module(MODULE)
                except BaseException:
                    sys.modules[MODULE] = stand_in
                    raise
            return sys.modules[MODULE]

    def is_valid_syntax(term: str, value: str) -> bool:
        # What jsonschema imports by name (`from rfc3987_syntax import is_valid_syntax`).
        return bool(real().is_valid_syntax(term, value))

    def __getattr__(name: str) -> Any:  # a module's, PEP 562
        # Dunder names are the import system's and repr's questions (`__path__`, `__file__`):
        # answering them must not import the module.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(real(), name)

    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    stand_in.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[MODULE] = stand_in
    return True
