"""Find the processes a test session left running, through /proc (Linux)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

__all__ = ["descendants", "end", "mark_session", "session_processes", "working_in"]

# Set in the test process's environment: every process started with an environment derived
# from it carries it, orphans included (they are no longer descendants once their parent dies).
SESSION_ENV = "JUPYTERHUB_CDK8S_TEST_SESSION"


def mark_session() -> str:
    token = uuid.uuid4().hex
    os.environ[SESSION_ENV] = token
    return token


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
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
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


def _carries(pid: int, token: str) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"{SESSION_ENV}={token}".encode() in environ.split(b"\0")


def session_processes(token: str, temp: Path) -> dict[int, str]:
    """The live processes of the session marked with ``token`` (but this one): its descendants,
    those whose environment carries the mark, and those working inside ``temp``, the
    session's temporary directory (user servers and hub services start with environments of
    their own, in working directories there)."""
    found = descendants()
    for pid in _parents():
        if pid != os.getpid() and pid not in found and _carries(pid, token):
            found[pid] = _command(pid)
    found.update(working_in(temp))
    found.pop(os.getpid(), None)
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
        # Reap the ones that are this process's children.
        for pid in pids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
