"""Attribution of observations on real sentences: metric, region, period, qualifier, status, falls."""
from __future__ import annotations

import polars as pl
import pytest

from dagster_project.parsing.companies import find_companies
from dagster_project.parsing.extract import extract_observations
from dagster_project.parsing.periods import find_periods, reference_year
from dagster_project.parsing.regions import find_region_surfaces, focus_region, resolve_regions


def observe(text: str, published: str | None = None) -> list[dict]:
    regions = resolve_regions(text, find_region_surfaces(pl.Series([text]))[0])
    ref = reference_year(text, published)
    return extract_observations(text, ref, regions, find_companies(text), find_periods(text, ref),
                                focus_region(regions, "prefecture"), focus_region(regions, "province"), None)


def pick(obs: list[dict], span: str, *fields: str) -> tuple:
    (o,) = [o for o in obs if o["span"] == span]
    return tuple(o[f] for f in fields)


HANGZHOU = ("据杭州市市场监测数据,2025年1—10月,全市直播场次达471.36万场,直播间数量4.86万间,实现直播成交额3640.06亿元。"
            "预计全年直播成交额将突破4200亿元,较2024年的3933.45亿元保持稳健增长。")


@pytest.mark.parametrize("span,expected", [
    ("471.36万场", ("live_sessions", "杭州市", "2025-01..2025-10", "exact", "actual")),
    ("4.86万间", ("live_rooms", "杭州市", "2025-01..2025-10", "exact", "actual")),
    ("3640.06亿元", ("gmv", "杭州市", "2025-01..2025-10", "exact", "actual")),
    ("4200亿元", ("gmv", "杭州市", "2025", "at_least", "forecast")),
    ("3933.45亿元", ("gmv", "杭州市", "2024", "exact", "actual")),
])
def test_a_city_paragraph(span, expected):
    assert pick(observe(HANGZHOU), span, "metric", "region", "period", "qualifier", "status") == expected


def test_source_org_is_kept():
    assert pick(observe(HANGZHOU), "471.36万场", "source_org") == ("杭州市市场监测",)


def test_falls_are_negative_and_ranges_stay_ordered():
    obs = observe("今年一季度,华帝股份一季度营收比降48.07%。“今年我们原有渠道的订单下降了30%到35%左右。”杨格锁业总经理周理新说。",
                  "2020-06-05")
    assert pick(obs, "48.07%", "value", "metric", "company", "period") == (-48.07, "growth_rate", "华帝股份", "2020-Q1")
    assert pick(obs, "30%到35%", "value", "value_high", "qualifier", "company") == (-35.0, -30.0, "range", "杨格锁业")


def test_qualifiers():
    obs = observe("全省现有超4.3万个带货直播间,住户数量从峰值近2万人降至8000人,一天播下来下单量都不到10件,"
                  "中山家电产业集群产值超千亿元,交易订单近千单,千万级的产值。", "2020-06-05")
    assert pick(obs, "4.3万个", "qualifier") == ("at_least",)
    assert pick(obs, "2万人", "qualifier") == ("approx",)
    assert pick(obs, "8000人", "qualifier") == ("exact",)
    assert pick(obs, "10件", "qualifier") == ("at_most",)
    assert pick(obs, "千万级", "qualifier", "unit", "metric") == ("approx", "CNY", "output_value")


def test_targets_and_scope_words():
    obs = observe("江苏省商务厅表示,2026年前,全省将举办超1160场直播培训,覆盖6.75万人次。")
    assert pick(obs, "1160场", "metric", "region", "status") == ("training", "江苏省", "target")
    assert pick(obs, "6.75万人次", "metric", "status") == ("training", "target")


def test_a_date_with_a_number_of_days_is_a_range():
    obs = observe("从中山市沙溪镇在3月28日首个电商直播节7天实现2.8亿元销售额以来,", "2020-06-05")
    assert pick(obs, "2.8亿元", "region", "period", "metric") == ("沙溪镇", "2020-03-28..2020-04-03", "gmv")
