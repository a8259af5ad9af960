"""Parsing in worker processes gives exactly what parsing in-process gives."""
from polars.testing import assert_frame_equal

from dagster_project.parsing import pipeline
from dagster_project.parsing.parallel import map_by_file
from dagster_project.settings import REPO_ROOT


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
