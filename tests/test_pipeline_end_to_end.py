"""A real refresh of the seed articles through Dagster, Polars, Pandera, dbt and DuckDB."""
from __future__ import annotations

import shutil

from tests.conftest import SEEDS, query, refresh

MART_COLUMNS = {
    "articles": ["source_file", "article_seq", "title", "publisher", "published_date", "is_live_commerce"],
    "metric_observations": ["source_file", "article_seq", "span", "value", "value_high", "unit", "measure", "metric",
                            "region", "company", "period", "qualifier", "status", "source_org", "evidence",
                            "char_start", "char_end"],
    "region_mentions": ["source_file", "article_seq", "region", "region_code", "region_level", "parent_region",
                        "mention_count"],
    "company_mentions": ["source_file", "article_seq", "company", "company_type", "mention_count"],
    "regional_metrics": ["region", "region_code", "region_level", "metric", "period", "status", "value", "unit",
                         "n_articles", "n_observations", "conflicting", "evidence"],
}


def test_public_relations_have_the_contract_columns(seed_warehouse):
    for relation, columns in MART_COLUMNS.items():
        found = {r[0] for r in query(seed_warehouse, "select column_name from information_schema.columns "
                                                     "where table_schema = 'marts' and table_name = ?", [relation])}
        assert set(columns) <= found, f"marts.{relation} lacks {set(columns) - found}"


def test_hangzhou_live_sessions_jan_to_oct_2025(seed_warehouse):
    obs = query(seed_warehouse, """select value, unit, measure, qualifier, status from marts.metric_observations
                                   where region = '杭州市' and metric = 'live_sessions' and period = '2025-01..2025-10'""")
    assert obs == [(4713600.0, "count", "场", "exact", "actual")]
    regional = query(seed_warehouse, """select value, region_code, region_level, n_articles from marts.regional_metrics
                                        where region = '杭州市' and metric = 'live_sessions'
                                          and period = '2025-01..2025-10' and status = 'actual'""")
    assert regional == [(4713600.0, "330100", "prefecture", 1)]


def test_file_with_four_articles_is_split_and_only_one_is_live_commerce(seed_warehouse):
    rows = query(seed_warehouse, """select article_seq, publisher, is_live_commerce from marts.articles
                                    where source_file = '002_9d9a72e933225fd3.txt' order by article_seq""")
    assert rows == [(1, "证券时报", True), (2, "证券时报", False), (3, "证券时报", False), (4, "证券时报", False)]
    off_topic = query(seed_warehouse, """select count(*) from marts.metric_observations
                                         where source_file = '002_9d9a72e933225fd3.txt' and article_seq > 1""")
    assert off_topic == [(0,)]


def test_town_figures_roll_up_to_their_city(seed_warehouse):
    towns = query(seed_warehouse, """select distinct region from marts.regional_metrics_rollup
                                     where ancestor_region = '中山市' and region_level = 'town' order by region""")
    assert ("沙溪镇",) in towns and ("横栏镇",) in towns
    province = query(seed_warehouse, """select count(*) from marts.regional_metrics_rollup
                                        where ancestor_region = '广东省' and region = '沙溪镇'""")
    assert province[0][0] >= 1


def test_raw_evidence_shows_the_original_traditional_characters(seed_warehouse):
    rows = query(seed_warehouse, """select span, raw_span from marts.raw_evidence
                                    where source_file = '001_9466b8a903cc27a1.txt' and span = '3640.06亿元'""")
    assert rows == [("3640.06亿元", "3640.06億元")]


def test_second_run_produces_the_same_mart_rows(seed_warehouse, tmp_path, monkeypatch):
    input_dir = tmp_path / "input"
    shutil.copytree(SEEDS, input_dir)
    again = tmp_path / "again.duckdb"
    assert refresh(input_dir, again, monkeypatch).success
    assert refresh(input_dir, again, monkeypatch).success  # a rerun over its own published file
    for relation in ("metric_observations", "region_mentions", "company_mentions", "regional_metrics"):
        sql = f"select * from marts.{relation} order by all"
        assert query(seed_warehouse, sql) == query(again, sql), relation
