"""Kubernetes resource quantities, read the way Kubernetes reads them.

One parser for the constructs (which check sizes at synthesis and add them up for the quota)
and the hub (which hands KubeSpawner a plain number, never a suffix KubeSpawner would read
differently: its ``G`` is 2**30, Kubernetes' is 10**9). Standard library only: the hub
imports it too.
"""

from __future__ import annotations

import re
from decimal import Decimal

__all__ = ["cpu_cores", "memory_bytes", "millicores", "parse_quantity"]

# Kubernetes' grammar: a decimal number, then a binary suffix (Ki..Ei), a decimal suffix
# (m, k, M..E) or an exponent (e3, E-2). No sign: no resource amount is negative.
_QUANTITY = re.compile(
    r"(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?"
)
_SCALE = {
    None: Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}
_MILLI = Decimal("0.001")
# Kubernetes stores a quantity in a signed 64-bit integer (of its smallest unit).
_LARGEST = Decimal(2**63 - 1)


def parse_quantity(text: str) -> Decimal:
    """The exact value of a quantity (``'1.5Gi'`` is 1610612736); ``ValueError`` otherwise."""
    match = _QUANTITY.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not a Kubernetes quantity: {text!r}")
    suffix, number = match["suffix"], Decimal(match["number"])
    if suffix not in _SCALE:
        exponent = int(suffix[1:])
        value = number.scaleb(exponent) if exponent <= 30 else _LARGEST + 1
    else:
        value = number * _SCALE[suffix]
    if value > _LARGEST:
        raise ValueError(f"too large for Kubernetes: {text!r}")
    return value


def memory_bytes(text: str) -> int:
    """A memory quantity as bytes; ``ValueError`` unless it is a whole number of them."""
    value = parse_quantity(text)
    if value != value.to_integral_value():
        raise ValueError(f"not a whole number of bytes: {text!r} is {value} bytes")
    return int(value)


def cpu_cores(text: str) -> Decimal:
    """A CPU quantity in cores; ``ValueError`` if finer than Kubernetes' 1m precision."""
    value = parse_quantity(text)
    if value % _MILLI:
        raise ValueError(f"finer than a millicore: {text!r} is {value} cores")
    return value


def millicores(text: str) -> int:
    """A CPU quantity in millicores (``'500m'`` is 500, ``'2'`` 2000)."""
    return int(cpu_cores(text) * 1000)
