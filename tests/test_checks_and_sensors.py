"""Pandera checks show failing rows; the sensor asks for a run only when the input changes."""
from __future__ import annotations

import dagster as dg
import polars as pl

from dagster_project.checks import declared_columns, validate_frame
from dagster_project.resources import WarehouseResource
from dagster_project.schemas import EntityMentions, MetricObservations
from dagster_project.sensors import input_folder_sensor


def test_pandera_check_fails_on_a_bad_frame_and_shows_the_failing_rows():
    frame = pl.DataFrame({
        "source_file": ["a.txt", "a.txt"], "article_seq": pl.Series([1, 1], dtype=pl.Int32),
        "span": ["5万元", "30%到35%"], "value": [50000.0, -30.0], "value_high": [None, -35.0],
        "unit": ["CNY", "percent"], "metric": ["gmv", "not_a_metric"], "qualifier": ["exact", "range"],
        "status": ["actual", "actual"], "char_start": [0, 10], "char_end": [4, 16],
    })
    passed, metadata = validate_frame(MetricObservations, frame)
    assert not passed
    assert metadata["failing_rows"] == 1
    sample = metadata["failure_sample"].value
    assert "not_a_metric" in sample and "range_ordered" in sample


def test_pandera_check_passes_a_good_frame():
    frame = pl.DataFrame({
        "source_file": ["a.txt"], "article_seq": pl.Series([1], dtype=pl.Int32), "span": ["5万元"], "value": [5e4],
        "value_high": pl.Series([None], dtype=pl.Float64), "unit": ["CNY"], "metric": ["gmv"], "qualifier": ["exact"],
        "status": ["actual"], "char_start": [0], "char_end": [3],
    })
    assert validate_frame(MetricObservations, frame) == (True, {"rows_checked": 1, "failing_rows": 0})


def test_sensor_requests_a_run_for_a_new_file_and_none_for_an_unchanged_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LCW_INPUT_DIR", str(tmp_path))
    (tmp_path / "a.txt").write_text("杭州直播电商", encoding="utf-8")
    with dg.instance_for_test() as instance:
        first = input_folder_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(first, dg.RunRequest)
        ctx = dg.build_sensor_context(instance=instance, cursor=first.run_key)
        assert isinstance(input_folder_sensor(ctx), dg.SkipReason)
        (tmp_path / "b.txt").write_text("义乌直播基地", encoding="utf-8")
        ctx = dg.build_sensor_context(instance=instance, cursor=first.run_key)
        second = input_folder_sensor(ctx)
        assert isinstance(second, dg.RunRequest) and second.run_key != first.run_key


def test_a_check_reads_the_declared_columns_and_still_reports_a_missing_one(tmp_path):
    warehouse = WarehouseResource(published_path=str(tmp_path / "published.duckdb"), build_path=str(tmp_path / "build.duckdb"),
                                  staging_path=str(tmp_path / "store.duckdb"))
    good = pl.DataFrame({"source_file": ["a.txt"], "article_seq": pl.Series([1], dtype=pl.Int32), "kind": ["region"],
                         "name": ["杭州"], "char_start": [0], "char_end": [2], "evidence": ["杭州直播电商"]})
    with warehouse.session():
        warehouse.write_table("entity_mentions", good)
        read = warehouse.read_table("entity_mentions", declared_columns(EntityMentions))
        warehouse.write_table("entity_mentions", good.drop("kind"))
        lacking = warehouse.read_table("entity_mentions", declared_columns(EntityMentions))
    assert read.columns == [c for c in good.columns if c != "evidence"]
    assert validate_frame(EntityMentions, read)[0]
    passed, metadata = validate_frame(EntityMentions, lacking)
    assert not passed and "kind" in metadata["failure_sample"].value
