"""Attribution of observations on real sentences: metric, region, period, qualifier, status, falls."""
from __future__ import annotations

import polars as pl
import pytest

from dagster_project.parsing.companies import find_companies
from dagster_project.parsing.attribution import extract_observations
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


def test_first_quarters_and_months_are_ranges_not_targets():
    obs = observe("2025年前三季度,浙江省网络零售额2.1万亿元。今年前10个月,全省直播电商零售额逾8000亿元。", "2025-11-01")
    assert pick(obs, "2.1万亿元", "period", "status", "metric") == ("2025-01..2025-09", "actual", "online_retail_sales")
    assert pick(obs, "8000亿元", "period", "region", "qualifier") == ("2025-01..2025-10", "浙江省", "at_least")


def test_a_comparison_year_is_not_the_period_of_a_growth_rate():
    obs = observe("2025年,义乌市直播成交额达380亿元,较去年增长20%。", "2025-12-01")
    assert pick(obs, "20%", "period", "metric") == ("2025", "growth_rate")


@pytest.mark.parametrize("text,published,span,expected", [
    ("今年上半年,广州市直播电商成交额约1200亿元。", "2025-08-01", "1200亿元", ("2025-H1", "approx", "actual", "广州市")),
    ("据商务部数据,今年双11期间,全国直播电商成交额逾9000亿元。", "2025-11-20", "9000亿元", ("2025-11-11", "at_least", "actual", "中国")),
    ("力争到年底,深圳市培育直播主播5000名以上。", "2025-03-01", "5000名", ("2025", "at_least", "target", "深圳市")),
    ("估计今年深圳市直播电商交易额不足3000亿元。", "2025-03-01", "3000亿元", ("2025", "at_most", "forecast", "深圳市")),
    ("东莞市直播电商成交额有望突破1500亿余元。", "2025-03-01", "1500亿余元", (None, "at_least", "forecast", "东莞市")),
])
def test_relative_periods_qualifiers_and_status(text, published, span, expected):
    assert pick(observe(text, published), span, "period", "qualifier", "status", "region") == expected
