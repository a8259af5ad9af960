"""Processes on this machine, from /proc: whether one still runs, and an identity that a later
process reusing its pid does not share. Standard library only: a waiting run worker imports it
(dagster_project/run_worker_process.py)."""
from __future__ import annotations

import os
from pathlib import Path


def process_running(pid: int) -> bool:
    """Whether a process (not this one's child) is still running: a process that exited stays a
    zombie until its parent reaps it, and signal 0 would still reach it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:  # no /proc: ask the process itself
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


def process_identity(pid: int | None = None) -> str | None:
    """"<pid>:<start time>" of a running process (this one by default), its start time in clock
    ticks since boot: a process that later takes the same pid has another. None without /proc."""
    pid = os.getpid() if pid is None else pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return f"{pid}:{fields[19]}"  # field 22 of stat; the first two (pid, name) are cut off


def identity_running(identity: str) -> bool:
    """Whether the process ``process_identity`` described is still running."""
    pid = int(identity.split(":", 1)[0])
    return process_running(pid) and process_identity(pid) == identity
