"""Kubernetes resource quantities: checked early, compared exactly."""

from __future__ import annotations

import re
from decimal import Decimal

from constructs import Construct

from constructs_lib._errors import invalid

__all__ = ["check_quantity", "check_range", "parse_quantity"]

_QUANTITY = re.compile(
    r"(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?"
)
_SCALE = {
    None: Decimal(1), "m": Decimal("0.001"),
    "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12, "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40, "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}


def parse_quantity(value: str) -> Decimal | None:
    """The quantity's value, or ``None`` if Kubernetes would not take it as a quantity."""
    match = _QUANTITY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    suffix = match["suffix"]
    if suffix and suffix[0] in "eE":
        return Decimal(match["number"]) * Decimal(10) ** int(suffix[1:])
    return Decimal(match["number"]) * _SCALE[suffix]


def check_quantity(scope: Construct, field: str, value: str) -> Decimal:
    """Return the quantity's value; ``ValueError`` for anything Kubernetes would reject."""
    parsed = parse_quantity(value)
    if parsed is None:
        allowed = (
            "must not be negative" if isinstance(value, str) and value.startswith("-")
            else "must be a Kubernetes quantity such as '500m', '2', '256Mi' or '1G'"
        )
        raise invalid(scope, field, value, allowed)
    return parsed


def check_range(
    scope: Construct, guarantee_field: str, guarantee: str, limit_field: str, limit: str
) -> None:
    """Both must be quantities and the limit must not be below the guarantee."""
    low = check_quantity(scope, guarantee_field, guarantee)
    high = check_quantity(scope, limit_field, limit)
    if high < low:
        raise invalid(
            scope, limit_field, limit,
            f"must be at least {guarantee_field} ({guarantee})",
        )
