"""Run a frame-to-frame parsing step over chunks of files in worker processes.

Parsing is pure Python per article, so one process uses one core. Chunks are whole files (an
article never straddles two chunks), results come back in input order, and small inputs run
in-process, where starting workers would cost more than it saves.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

import polars as pl

CHUNKS_PER_WORKER = 4
# Each chunk builds the automaton of every division name once: fewer, larger chunks build it
# less often; four in flight still bound the memory.
MAX_CHUNK_ROWS = 5000
Frames = pl.DataFrame | tuple[pl.DataFrame, ...]


def parse_workers() -> int:
    return max(1, int(os.environ.get("LCW_PARSE_WORKERS", os.cpu_count() or 1)))


def parallel_min_rows() -> int:
    return int(os.environ.get("LCW_PARALLEL_MIN_ROWS", 2000))


def _context() -> multiprocessing.context.BaseContext:
    # Workers fork from a single-threaded server that imported the main module and the parsing
    # code once: no re-import per worker, and never a fork of a process running Polars or Dagster
    # threads. Dictionaries are read in each worker, so a changed seed is seen by the next pool.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", "dagster_project.parsing.pipeline"])
    return ctx


def _file_chunks(frame: pl.DataFrame, n_chunks: int) -> list[pl.Series]:
    files = frame["source_file"].unique(maintain_order=True)
    size = max(1, -(-len(files) // n_chunks))
    return [files.slice(i, size) for i in range(0, len(files), size)]


def map_by_file(step: Callable[..., Frames], frame: pl.DataFrame, *side: pl.DataFrame) -> Frames:
    """``step(frame, *side)`` computed chunk by chunk of source files, in parallel when worth it.
    ``step`` must be a module-level function returning a frame or a tuple of frames; ``side``
    frames are cut to each chunk's files."""
    workers = parse_workers()
    if workers <= 1 or frame.height < parallel_min_rows():
        return step(frame, *side)

    def cut(f: pl.DataFrame, files: pl.Series) -> pl.DataFrame:
        return f.filter(pl.col("source_file").is_in(files.implode()))

    chunks = _file_chunks(frame, max(workers * CHUNKS_PER_WORKER, -(-frame.height // MAX_CHUNK_ROWS)))
    results: list[pl.DataFrame] = []
    # At most two chunks per worker in flight, so the input is never copied whole.
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        pending: deque = deque()
        for files in chunks:
            pending.append(pool.submit(step, cut(frame, files), *(cut(s, files) for s in side)))
            if len(pending) >= 2 * workers:
                results.append(pending.popleft().result())
        results.extend(f.result() for f in pending)
    if isinstance(results[0], tuple):
        return tuple(pl.concat(parts, how="vertical") for parts in zip(*results))
    return pl.concat(results, how="vertical")
