"""Commands the tests run, and what a failed one said: its exit, stdout and stderr, so that a
failure shows its cause (``check=True`` with captured output shows neither stream)."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from os import PathLike
from typing import Any

import pytest

# What a report keeps of each stream: the end, where the error is.
_TAIL_CHARS = 6000


def said(result: subprocess.CompletedProcess[str] | subprocess.TimeoutExpired) -> str:
    """The command, how it ended, and the end of its stdout and stderr."""
    if isinstance(result, subprocess.TimeoutExpired):
        argv, ended = result.cmd, f"did not finish in {result.timeout} s"
    else:
        argv, ended = result.args, f"exited with {result.returncode}"
    command = argv if isinstance(argv, str) else shlex.join(map(str, argv))
    streams = [
        f"{name}:\n{_text(value)[-_TAIL_CHARS:]}"
        for name, value in (("stdout", result.stdout), ("stderr", result.stderr))
        if value
    ]
    return "\n".join([f"`{command}` {ended}", *(streams or ["(no output)"])])


def run(command: Sequence[str | PathLike[str]], **options: Any) -> subprocess.CompletedProcess[str]:
    """``subprocess.run`` with the output captured as text; the test fails with what the
    command said if it exits with other than 0 or times out."""
    try:
        result = subprocess.run(
            [str(part) for part in command], capture_output=True, text=True, **options
        )
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(said(timeout), pytrace=False)
    if result.returncode != 0:
        pytest.fail(said(result), pytrace=False)
    return result


def _text(value: str | bytes) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value
