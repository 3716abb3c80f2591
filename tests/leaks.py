"""Find the processes a test session left running, through /proc (Linux)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from pathlib import Path

__all__ = ["become_subreaper", "descendants", "end", "working_in"]

# prctl(2) option: orphaned descendants are re-parented to this process rather than to init.
_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Keep orphans visible: a process whose parent died (a hub's culler when the hub was
    killed, a user server) becomes this process's child, so ``descendants`` still finds it."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process alive (zombies are dead: left out)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # The command name may hold spaces and parentheses: the fields follow the last ")".
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if state not in ("Z", "X"):
            parents[int(entry.name)] = int(ppid)
    return parents


def _command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def descendants(pid: int | None = None) -> dict[int, str]:
    """Every live descendant of ``pid`` (default: this process): pid -> command line."""
    root = os.getpid() if pid is None else pid
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return {child: _command(child) for child in found}


def working_in(directory: Path) -> dict[int, str]:
    """Every live process whose working directory is ``directory`` or inside it."""
    root = directory.resolve()
    found = {}
    for pid in _parents():
        try:
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            continue
        if cwd == root or root in cwd.parents:
            found[pid] = _command(pid)
    return found


def end(pids: set[int], timeout: float = 5) -> None:
    """SIGTERM, then SIGKILL after ``timeout``, each of ``pids`` still alive."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pids & set(_parents()):
            time.sleep(0.1)
        # Reap the ones that became this process's children (as a subreaper).
        for pid in pids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
