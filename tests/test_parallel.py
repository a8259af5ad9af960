"""Parsing in worker processes gives exactly what parsing in-process gives."""
import gc

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dagster_project.parsing import pipeline
from dagster_project.parsing.parallel import CHUNKS_PER_WORKER, MAX_CHUNK_FILES, chunk_files, map_chunks, runs_in_parallel
from dagster_project.settings import REPO_ROOT


def map_by_file(step, frame: pl.DataFrame):
    """``step`` over ``frame`` chunk by chunk of files, as the assets run it, put back together."""
    files = frame["source_file"].unique(maintain_order=True).to_list()
    parallel = runs_in_parallel(len(files))
    chunks = ((frame.filter(pl.col("source_file").is_in(pl.Series(part, dtype=pl.String).implode())),)
              for part in chunk_files(files, parallel))
    results = list(map_chunks(step, chunks, parallel))
    if isinstance(results[0], tuple):
        return tuple(pl.concat(parts) for parts in zip(*results))
    return pl.concat(results)


def test_workers_reproduce_the_in_process_parse(monkeypatch):
    raw, _, _ = pipeline.read_raw_documents(REPO_ROOT / "seeds", 20 * 1024 * 1024)
    monkeypatch.setenv("LCW_PARSE_WORKERS", "1")
    serial_articles = map_by_file(pipeline.build_article_frame, raw)
    serial = map_by_file(pipeline.build_extraction_frames, serial_articles)

    monkeypatch.setenv("LCW_PARSE_WORKERS", "2")
    monkeypatch.setenv("LCW_PARALLEL_MIN_ROWS", "1")
    parallel_articles = map_by_file(pipeline.build_article_frame, raw)
    parallel = map_by_file(pipeline.build_extraction_frames, parallel_articles)

    assert serial_articles.height == 8 and serial[2].height > 100
    assert_frame_equal(parallel_articles, serial_articles)
    for got, expected in zip(parallel, serial):
        assert_frame_equal(got, expected)


@pytest.mark.parametrize("n_files,workers", [(0, 2), (1, 2), (7, 2), (91_664, 2), (91_664, 3), (12_345, 1), (5, 4)])
def test_chunks_keep_every_file_in_order_and_give_each_worker_the_same_share(monkeypatch, n_files, workers):
    monkeypatch.setenv("LCW_PARSE_WORKERS", str(workers))
    files = [f"f{i:06d}.txt" for i in range(n_files)]
    for parallel in (False, True):
        chunks = chunk_files(files, parallel)
        assert [f for chunk in chunks for f in chunk] == files
        assert len(chunks) >= 1 and max(map(len, chunks)) <= MAX_CHUNK_FILES
        assert max(map(len, chunks)) - min(map(len, chunks)) <= 1
        if parallel and n_files >= workers * CHUNKS_PER_WORKER:
            assert len(chunks) % workers == 0 and len(chunks) >= workers * CHUNKS_PER_WORKER


def collector_state(frame: pl.DataFrame) -> pl.DataFrame:
    """A step that reports whether Python's cyclic garbage collector runs while it does."""
    return pl.DataFrame({"collector_on": [gc.isenabled()] * frame.height})


@pytest.mark.parametrize("parallel", [False, True])
def test_a_chunk_is_parsed_with_the_collector_paused_and_it_resumes_after(monkeypatch, parallel):
    monkeypatch.setenv("LCW_PARSE_WORKERS", "2")
    chunks = [(pl.DataFrame({"source_file": [f"f{i}"]}),) for i in range(4)]
    assert gc.isenabled()
    results = list(map_chunks(collector_state, chunks, parallel))
    assert [r["collector_on"].to_list() for r in results] == [[False]] * 4
    assert gc.isenabled()
