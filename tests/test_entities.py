"""Regions, companies, people and periods on real sentences."""
from __future__ import annotations

import polars as pl
import pytest

from dagster_project.parsing.clean import clean_plain
from dagster_project.parsing.companies import find_companies, find_people
from dagster_project.parsing.periods import find_periods, reference_year
from dagster_project.parsing.regions import find_region_surfaces, resolve_regions


def regions(text):
    hits = find_region_surfaces(pl.Series([text]))[0]
    return [(m.surface, m.region, m.code, m.ambiguous) for m in resolve_regions(text, hits)]


def region_names(text):
    return [r[1] for r in regions(text)]


def test_full_and_short_names_resolve_to_division_rows():
    assert regions("杭州直播电商起步早,义乌、金华、诸暨均有产业带") == [
        ("杭州", "杭州市", "330100", False), ("义乌", "义乌市", "330782", False),
        ("金华", "金华市", "330700", False), ("诸暨", "诸暨市", "330681", False)]


def test_national_words_count_as_china():
    assert region_names("全国第一个以城市为平台的直播带货节,我国直播电商") == ["中国", "中国"]


def test_a_town_shared_by_nine_places_is_resolved_by_the_city_the_article_names():
    assert regions("沙溪镇一电商直播公司内,主播在推销服装。") == [("沙溪镇", "沙溪镇", None, True)]
    resolved = regions("中山市沙溪镇一电商直播公司内,服装重镇沙溪也出现了一些本土的电商直播公司")
    assert resolved[1][:3] == ("沙溪镇", "沙溪镇", "442000014") and resolved[2][:3] == ("沙溪", "沙溪镇", "442000014")


def test_ambiguous_short_town_names_need_context():
    assert region_names("这座古镇里不熄的窑火") == []
    assert "古镇镇" in region_names("中山市古镇镇的灯饰卖场华艺广场")


def test_no_false_hits_inside_other_words_or_names():
    assert region_names("阿里巴巴1688本地商业发展部广东大区中山区域经理高铮说") == ["广东省", "中山市"]
    assert region_names("上海财经大学中国式现代化研究院特聘研究员") == []
    assert region_names("南京国际博览会议中心主会场内座无虚席") == []
    assert region_names("苏北的农产品主播,珠三角、长三角的商家") == []
    assert region_names("二是直播服务商向全案服务升级,新平台") == []


def test_traditional_names_resolve_after_cleaning():
    assert region_names(clean_plain("臨沂市與齊齊哈爾的直播基地")) == ["临沂市", "齐齐哈尔市"]


def companies(text):
    return sorted({c.company for c in find_companies(text)})


def test_aliases_resolve_to_one_canonical_company():
    assert companies("头部直播电商机构谦寻控股表示,谦寻正处在直播电商的3.0阶段") == ["谦寻"]
    assert companies("京东零售为小榄五金锁具旗舰店在京东直播上开播") == ["京东"]
    assert companies("抖音电商头部服务商祈飞CMO隼安") == ["抖音", "祈飞"]
    assert companies("淘宝、天猫和阿里巴巴是三家公司") == ["天猫", "淘宝", "阿里巴巴"]


def test_companies_are_discovered_from_their_form():
    text = ("悄然在杭州注册了两家公司——杭州润星娱乐有限公司和杭州润心娱乐有限公司。"
            "中山市星晟传媒有限公司(下称“星晟传媒”)的董事长王晨冰。星晟传媒旗下目前拥有60多名员工。"
            "巨邦科技集团通过从国外引入了全自动吊挂系统。杨格锁业总经理周理新说。在快手创立了品牌“NN Limited”。")
    found = companies(text)
    for name in ["杭州润星娱乐有限公司", "杭州润心娱乐有限公司", "星晟传媒", "巨邦科技集团", "杨格锁业", "NN Limited", "快手"]:
        assert name in found


def test_media_government_schools_associations_and_venues_are_not_companies():
    text = ("南方日报记者报道,中山市锁业协会秘书长冯秀英说,省商务厅厅长司勇,上海财经大学研究员,"
            "古镇镇的灯饰卖场华艺广场,义乌国际商贸城")
    assert companies(text) == []


def test_people_with_role_and_company():
    text = "“杭州是行业天花板的城市。”遥望科技董事长兼CEO谢如栋说"
    people = find_people(text, find_companies(text))
    assert [(p.name, p.role, p.organisation) for p in people] == [("谢如栋", "董事长兼CEO", "遥望科技")]


@pytest.mark.parametrize("text,ref_year,expected", [
    ("据杭州市市场监测数据,2025年1—10月,全市", 2025, ["2025-01..2025-10"]),
    ("今年一季度,中山两家家电产业的A股上市公司", 2020, ["2020-Q1"]),
    ("2024年“双11”期间", 2025, ["2024-11-11"]),
    ("2024年“双11”结束后", 2025, ["2024"]),
    ("3月28日首个电商直播节7天实现2.8亿元销售额", 2020, ["2020-03-28..2020-04-03"]),
    ("2016年,传统电商开始遭遇流量瓶颈。这一年,国内接连出现了300多家网络直播平台", 2020, ["2016", "2016"]),
    ("截至目前,谦寻已累计服务直播超4.3万场", 2025, [None]),
    ("6月6日至8日,广州将举办首届直播节", 2020, ["2020-06-06..2020-06-08"]),
    ("去年上半年", 2020, ["2019-H1"]),
    # No such day: no period (it used to raise on the days that follow, failing the chunk).
    ("2024年2月30日起7天直播带货", 2025, [None]),
    ("2月28日至30日直播带货", 2023, [None]),
    ("2月28日至29日直播带货", 2024, ["2024-02-28..2024-02-29"]),
])
def test_periods(text, ref_year, expected):
    assert [p.period for p in find_periods(text, ref_year)] == expected


def test_reference_year_without_a_date_is_the_latest_year_stated_as_past():
    assert reference_year("到2027年,全面建成。2025年1—10月,全市。较2024年的", None) == 2025
    assert reference_year("无年份", "2020-06-05") == 2020
