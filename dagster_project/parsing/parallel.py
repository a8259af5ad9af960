"""Run a frame-to-frame parsing step over chunks of files, in worker processes when worth it.

Parsing is mostly Python per article (only dictionary matching and attribution run in Polars over
the whole chunk), so one process uses about one core. Chunks are whole files (an
article never straddles two chunks) and results come back in input order, chunk by chunk: the
caller reads each chunk's input when it is submitted and writes its output when it returns, so a
step never holds the whole corpus. Small inputs run in-process, where starting workers would cost
more than it saves.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator

import polars as pl

CHUNKS_PER_WORKER = 4
# Each chunk builds the automaton of every division name once: fewer, larger chunks build it
# less often; two in flight per worker still bound the memory.
MAX_CHUNK_FILES = 5000
Frames = pl.DataFrame | tuple[pl.DataFrame, ...]


def parse_workers() -> int:
    return max(1, int(os.environ.get("LCW_PARSE_WORKERS", os.cpu_count() or 1)))


def parallel_min_rows() -> int:
    return int(os.environ.get("LCW_PARALLEL_MIN_ROWS", 2000))


def runs_in_parallel(n_files: int) -> bool:
    return parse_workers() > 1 and n_files >= parallel_min_rows()


def _context() -> multiprocessing.context.BaseContext:
    # Workers fork from a single-threaded server that imported the main module and the parsing
    # code once: no re-import per worker, and never a fork of a process running Polars or Dagster
    # threads. Dictionaries are read in each worker, so a changed seed is seen by the next pool.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", "dagster_project.parsing.pipeline"])
    return ctx


def chunk_files(files: list[str], parallel: bool) -> list[list[str]]:
    """``files`` cut into chunks of at most MAX_CHUNK_FILES, in order, their sizes differing by
    one file at most. In parallel, at least CHUNKS_PER_WORKER per worker and a multiple of the
    workers, so the workers finish together: with 19 chunks on two workers, the last one ran alone
    while the other core idled. Always one chunk at least (an empty one for no files), so a step
    still writes its table's columns."""
    n = len(files)
    count = -(-n // MAX_CHUNK_FILES)
    if parallel:
        workers = parse_workers()
        count = -(-max(count, workers * CHUNKS_PER_WORKER) // workers) * workers
    count = max(1, min(count, n))
    return [files[i * n // count:(i + 1) * n // count] for i in range(count)]


def without_collector(step: Callable[..., Frames], *args: pl.DataFrame) -> Frames:
    """``step(*args)`` with Python's cyclic garbage collector paused. A chunk's parse makes millions
    of short-lived objects and no reference cycles, so the collector's passes over them (and over
    the dictionaries) find nothing to free; docs/scaling-history.md (session 16) has what they
    cost. It resumes afterwards."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return step(*args)
    finally:
        if paused:
            gc.enable()


def map_chunks(step: Callable[..., Frames], inputs: Iterable[tuple[pl.DataFrame, ...]],
               parallel: bool) -> Iterator[Frames]:
    """``step(*chunk)`` for each chunk of ``inputs``, yielded in order. ``step`` must be a
    module-level function returning a frame or a tuple of frames. In parallel, at most two chunks
    per worker are in flight, so ``inputs`` is read only as fast as the workers take it."""
    if not parallel:
        for chunk in inputs:
            yield without_collector(step, *chunk)
        return
    workers = parse_workers()
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        pending: deque = deque()
        for chunk in inputs:
            pending.append(pool.submit(without_collector, step, *chunk))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

