"""Peak memory and CPU time of a process and every process under it (Linux /proc), sampled while
a block runs.

A refresh's memory is its own process (dbt runs inside it) plus the parse workers it starts, at
the same time: the peak of their sum is what the machine must hold. `ru_maxrss` gives each
process's own peak, not the sum, and a process's RUSAGE_CHILDREN only the largest child's. The
parse workers are children of a fork server, which reaps them, so their CPU time does not reach
this process's RUSAGE_CHILDREN either; it is read from /proc while they run.
"""
from __future__ import annotations

import itertools
import os
import threading
import time

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def parent_pids() -> dict[int, int]:
    """pid -> parent pid of every process now running."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # ended meanwhile
            continue
        # After the command name (in parentheses, and it may hold spaces): state, then the parent's pid.
        parents[int(entry.name)] = int(stat[stat.rindex(b")") + 2:].split()[1])
    return parents


def process_tree(root: int, parents: dict[int, int]) -> set[int]:
    """``root`` and every process descending from it."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in tree:
            tree.add(pid)
            todo += children.get(pid, [])
    return tree


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds a process has used so far (None once it has ended)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()  # from the state on: utime and stime are the 12th and 13th
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_BYTES
    except OSError:
        return 0


class ProcessTreeSampler:
    """``with ProcessTreeSampler() as sampler: ...`` then ``sampler.bytes``: the largest summed
    resident memory of this process and its descendants, sampled every ``interval`` seconds in a
    thread; ``sampler.root_bytes`` is the root process's own share of that sample and
    ``sampler.at`` its time (``time.time()``), to tell which step and which process the peak
    belongs to.
    Pages that forked workers share with their parent count once per process, so the sum errs
    high, never low. ``sampler.cpu_between(start, end)`` is the CPU time the root process and its
    descendants used between two times, from the same samples: a descendant's last fraction of a
    sample before it ends is not counted, so it errs low. The process tree is found again every
    ``tree_every`` samples: a scan of /proc takes a few milliseconds of the GIL the measured run
    needs, reading a handful of statm files far less."""

    def __init__(self, interval: float = 0.2, root: int | None = None, tree_every: int = 5):
        self.interval, self.root, self.tree_every = interval, root or os.getpid(), tree_every
        self.bytes = self.root_bytes = 0
        self.at: float | None = None
        self.cpu_samples: list[tuple[float, float, float]] = []  # (time, root's CPU s, descendants' CPU s)
        self._last_cpu: dict[int, float] = {}  # each process's CPU seconds when last seen, ended ones too
        self._tree: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _measure(self, find_tree: bool) -> None:
        if find_tree:
            self._tree = process_tree(self.root, parent_pids())
        sizes = {pid: resident_bytes(pid) for pid in self._tree}
        now = time.time()
        if sum(sizes.values()) > self.bytes:
            self.bytes, self.root_bytes, self.at = sum(sizes.values()), sizes.get(self.root, 0), now
        for pid in self._tree:
            seconds = cpu_seconds(pid)
            if seconds is not None:
                self._last_cpu[pid] = seconds
        self.cpu_samples.append((now, self._last_cpu.get(self.root, 0.0),
                                 sum(seconds for pid, seconds in self._last_cpu.items() if pid != self.root)))

    def cpu_between(self, start: float, end: float) -> tuple[float, float]:
        """(root's, descendants') CPU seconds between two ``time.time()`` times, from the last
        sample at or before each."""
        def at(moment: float) -> tuple[float, float]:
            before = [(root, others) for t, root, others in self.cpu_samples if t <= moment]
            return before[-1] if before else (0.0, 0.0)
        (root0, others0), (root1, others1) = at(start), at(end)
        return root1 - root0, others1 - others0

    def _sample(self) -> None:
        for n in itertools.count():
            self._measure(find_tree=n % self.tree_every == 0)
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> "ProcessTreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._measure(find_tree=True)
