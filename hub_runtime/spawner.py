"""DynamicKubeSpawner: KubeSpawner whose templates know the user's slug and admin flag."""

from __future__ import annotations

import string
from typing import Any

from kubespawner import KubeSpawner

__all__ = ["DynamicKubeSpawner"]

_FLAGS = ("true", "false")


class DynamicKubeSpawner(KubeSpawner):  # type: ignore[misc]
    """A KubeSpawner whose string fields (volumes, mounts, init containers, labels, …) may also
    use ``{user}`` (the safe slug KubeSpawner uses for ``{safe_username}``: lower-case, no
    ``/`` or ``..``, hashed when escaped or long, so distinct users get distinct paths),
    ``{is_admin}`` and ``{is_not_admin}`` (``true``/``false``). A mount's ``readOnly`` given as
    ``"{is_admin}"`` or ``"{is_not_admin}"`` becomes the boolean. Templates are expanded per
    spawn into new objects; the shared configuration is never modified.
    """

    def _extra_fields(self) -> dict[str, str]:
        is_admin = bool(getattr(self.user, "admin", False))
        return {
            "user": super()._expand_user_properties("{safe_username}"),
            "is_admin": _FLAGS[0] if is_admin else _FLAGS[1],
            "is_not_admin": _FLAGS[1] if is_admin else _FLAGS[0],
        }

    def _expand_user_properties(self, template: str, slug_scheme: str | None = None) -> str:
        extra = self._extra_fields()
        parts = []
        for literal, field, spec, conversion in string.Formatter().parse(template):
            parts.append(literal.replace("{", "{{").replace("}", "}}"))
            if field is None:
                continue
            if field in extra and not spec and not conversion:
                parts.append(extra[field])
            else:
                # Leave KubeSpawner's own fields for it to expand.
                suffix = (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                parts.append("{" + field + suffix + "}")
        return str(super()._expand_user_properties("".join(parts), slug_scheme))

    def _expand_all(self, src: Any) -> Any:
        expanded = super()._expand_all(src)
        if isinstance(expanded, dict) and expanded.get("readOnly") in _FLAGS:
            expanded = {**expanded, "readOnly": expanded["readOnly"] == "true"}
        return expanded
