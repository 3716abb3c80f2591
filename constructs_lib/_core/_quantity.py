"""Kubernetes resource quantities: checked early, compared and added up exactly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, Decimal

from constructs import Construct

from constructs_lib._core._errors import invalid
from hub_runtime.frozen import frozen
from hub_runtime.quantity import cpu_cores, memory_bytes, parse_quantity

__all__ = [
    "Sizes",
    "check_cpu",
    "check_memory",
    "check_quantity",
    "check_range",
    "check_sizes",
    "describe_sizes",
    "format_cpu",
    "format_memory",
    "format_millicores",
]

_EXAMPLES = "such as '500m', '2', '256Mi' or '1G'"


def check_quantity(scope: Construct, field: str, value: str) -> Decimal:
    """Return the quantity's value; ``ValueError`` for anything Kubernetes would reject."""
    try:
        return parse_quantity(value)
    except ValueError:
        allowed = (
            "must not be negative"
            if isinstance(value, str) and value.startswith("-")
            else f"must be a Kubernetes quantity {_EXAMPLES}"
        )
        raise invalid(scope, field, value, allowed) from None


def check_memory(scope: Construct, field: str, value: str) -> int:
    """A memory quantity as bytes: ``1G`` is 10**9 and ``1Gi`` 2**30, as Kubernetes reads
    them; a fraction of a byte (``0.5``, ``1m``) is refused."""
    check_quantity(scope, field, value)
    try:
        size = memory_bytes(value)
    except ValueError:
        raise invalid(scope, field, value, "must be a whole number of bytes") from None
    if size == 0:
        raise invalid(scope, field, value, "must be more than 0 (no container runs in no memory)")
    return size


def check_cpu(scope: Construct, field: str, value: str) -> Decimal:
    """A CPU quantity in cores; Kubernetes refuses anything finer than a millicore."""
    check_quantity(scope, field, value)
    try:
        cores = cpu_cores(value)
    except ValueError:
        raise invalid(
            scope, field, value, "must be a whole number of millicores (at least 1m apart)"
        ) from None
    if cores == 0:
        raise invalid(scope, field, value, "must be more than 0 (at least 1m)")
    return cores


def check_range(
    scope: Construct, guarantee_field: str, guarantee: str, limit_field: str, limit: str
) -> None:
    """Both must be quantities and the limit must not be below the guarantee."""
    low = check_quantity(scope, guarantee_field, guarantee)
    high = check_quantity(scope, limit_field, limit)
    if high < low:
        raise invalid(
            scope,
            limit_field,
            limit,
            f"must be at least {guarantee_field} ({guarantee})",
        )


@frozen
class Sizes:
    """A container's CPU and memory, read from their quantities once: millicores and bytes."""

    cpu_request_millicores: int
    cpu_limit_millicores: int
    memory_request_bytes: int
    memory_limit_bytes: int

    @property
    def cpu_limit_cores(self) -> Decimal:
        return Decimal(self.cpu_limit_millicores) / 1000


def check_sizes(
    scope: Construct,
    prefix: str,
    *,
    cpu_request: str,
    cpu_limit: str,
    memory_request: str,
    memory_limit: str,
) -> Sizes:
    """The four quantities read once, each limit at least its request."""
    sizes = Sizes(
        cpu_request_millicores=int(check_cpu(scope, f"{prefix}cpu_request", cpu_request) * 1000),
        cpu_limit_millicores=int(check_cpu(scope, f"{prefix}cpu_limit", cpu_limit) * 1000),
        memory_request_bytes=check_memory(scope, f"{prefix}memory_request", memory_request),
        memory_limit_bytes=check_memory(scope, f"{prefix}memory_limit", memory_limit),
    )
    for resource, request, limit, low, high in (
        ("cpu", cpu_request, cpu_limit, sizes.cpu_request_millicores, sizes.cpu_limit_millicores),
        (
            "memory",
            memory_request,
            memory_limit,
            sizes.memory_request_bytes,
            sizes.memory_limit_bytes,
        ),
    ):
        if high < low:
            raise invalid(
                scope,
                f"{prefix}{resource}_limit",
                limit,
                f"must be at least {prefix}{resource}_request ({request})",
            )
    return sizes


def format_millicores(millicores: int) -> str:
    """``'4'``, ``'500m'``: a CPU amount as Kubernetes writes it."""
    return format_cpu(Decimal(millicores) / 1000)


def format_cpu(cores: Decimal) -> str:
    """Whole cores as ``'4'``, anything else in millicores rounded up (``'4150m'``)."""
    if cores == cores.to_integral_value():
        return str(int(cores))
    return f"{int((cores * 1000).to_integral_value(rounding=ROUND_CEILING))}m"


def format_memory(size: Decimal | int) -> str:
    """``Gi`` when exact, else ``Mi`` rounded up: readable, never below ``size``, and less
    than a MiB above it (bytes as a quota sums them, or as a profile keeps them)."""
    size = Decimal(size)
    if size % 2**30 == 0:
        return f"{int(size) // 2**30}Gi"
    return f"{int((size / 2**20).to_integral_value(rounding=ROUND_CEILING))}Mi"


# Units a person reads memory in, largest first; decimal before binary at each size, as
# ``32G`` is "32 GB" (a quantity's own suffix is usually the exact one).
_MEMORY_UNITS = (
    (10**12, "TB"),
    (2**40, "TiB"),
    (10**9, "GB"),
    (2**30, "GiB"),
    (10**6, "MB"),
    (2**20, "MiB"),
)


def describe_sizes(
    cpu_limits: Sequence[int], memory_limits: Sequence[int], gpus: Sequence[int]
) -> str:
    """``4 CPU / 32 GB RAM / 1 GPU``: a profile's limits (millicores, bytes and GPU counts
    of each variant) as a person compares them, each as
    a range where its variants differ (``2 to 16 CPU``), GPUs left out where none has any."""
    parts = [
        f"{_span(cpu_limits, lambda m: _number(Decimal(m) / 1000))} CPU",
        f"{_span(memory_limits, _describe_memory)} RAM",
    ]
    if any(gpus):
        parts.append(f"{_span(gpus, str)} {'GPU' if set(gpus) == {1} else 'GPUs'}")
    return " / ".join(parts)


def _span(values: Sequence[int], show: Callable[[int], str]) -> str:
    low, high = min(values), max(values)
    return show(low) if low == high else f"{show(low)} to {show(high)}"


def _describe_memory(size: int) -> str:
    for unit, name in _MEMORY_UNITS:
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    # No exact unit: one decimal of the largest that fits (a description, not a quantity).
    unit, name = next(((u, n) for u, n in _MEMORY_UNITS if size >= u), (1, "bytes"))
    return f"{_number((Decimal(size) / unit).quantize(Decimal('0.1')))} {name}"


def _number(value: Decimal) -> str:
    """``4``, ``0.5``: no exponent, no trailing zeros."""
    return format(value.normalize(), "f")
