"""Replace output directories whole, only after everything was written to a staging area."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["write_all"]


def write_all(outdir: Path, names: Iterable[str], write: Callable[[Path], None]) -> list[Path]:
    """``write(staging)`` fills ``staging/<name>`` for every name; then each ``outdir/<name>``
    is replaced by its new version. If ``write`` raises, ``outdir`` is left as it was."""
    if outdir.exists() and not outdir.is_dir():
        raise ValueError(f"{outdir}: outdir must be a directory (or not exist yet), got a file")
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
    try:
        write(staging)
        outdir.mkdir(exist_ok=True)
        written = []
        for name in names:
            target = outdir / name
            if target.exists():
                target.rename(staging / f"{name}.old")
            (staging / name).rename(target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
