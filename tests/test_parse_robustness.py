"""No text fails the parse steps: a chunk that raises fails its whole step, and with it every other
file of the run. Texts are random strings of the pieces news text is made of: numbers in both
scripts, date and period words (impossible days included), units, places, companies, bylines,
quotes and markup."""
from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings, strategies as st

from dagster_project.parsing.pipeline import (ARTICLE_SCHEMA, MENTION_SCHEMA, OBSERVATION_SCHEMA, SENTENCE_SCHEMA,
                                              build_article_frame, build_extraction_frames)

PIECES = [
    *"0123456789", "0", "12", "30", "31", "99", "1,200", "3.5", "．", "，", "。", "、", "；", "：", "\n", " ", "　",
    *"零〇一二两三四五六七八九十百千万亿", "半", "多", "余", "上", "第", "前", "后",
    *"年月日号", "季度", "上半年", "下半年", "今年", "去年", "明年", "当年", "这一年", "年底", "目前", "以来", "结束后",
    "至", "到", "—", "-", "~", "～", "起", "天", "个月", "份", "中旬", "双11", "双十一", "618", "五一", "国庆",
    "元", "亿元", "万元", "美元", "%", "个百分点", "倍", "成", "场", "间", "家", "人次", "单", "件", "平方米", "亩",
    "分之", "9块9", "块", "以上", "左右", "超过", "不足", "约", "同比增长", "下降", "预计", "目标", "将达到",
    "直播电商", "交易额", "销售额", "GMV", "直播间", "主播", "带货", "全市", "全省", "全国", "据统计局数据显示",
    "杭州", "杭州市", "浙江省", "义乌", "沙溪镇", "古镇", "中山市", "广州", "区域", "市场",
    "京东", "抖音", "快手", "淘宝", "遥望科技", "有限公司", "集团", "品牌“", "”", "“", "（", "）", "(", ")",
    "记者 张三", "通讯员", "来源：南方日报 ", "2024-02-30", "2025-13-01", "2020-06-05", "责任编辑：王五",
    "<p>", "</p>", "&nbsp;", "**", "![图](a.png)", "😀", "\u200b", "\ufeff", "\r", "\ufffd", "锟斤拷", "經濟",
    "A", "B", "iPhone", "No.", "TOP",
]
# Dates, possible and not (2月30日, 13月, 0日), alone or as a byline's, and followed by a span of days.
DATES = st.builds("{}年{}月{}日{}".format, st.sampled_from(["2024", "2023", ""]), st.integers(0, 14),
                  st.integers(0, 40), st.sampled_from(["", "起7天", "至31日", "以来"]))
BYLINES = st.builds("\n记者 张三 {}-{:02d}-{:02d}\n".format, st.integers(2019, 2025), st.integers(0, 13),
                    st.integers(0, 32))
TEXTS = st.lists(st.lists(st.one_of(st.sampled_from(PIECES), DATES, BYLINES), max_size=120).map("".join),
                 min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_any_text_parses_without_raising(texts):
    raw = pl.DataFrame({"source_file": [f"{i:03d}.txt" for i in range(len(texts))], "content_hash": ["-"] * len(texts),
                        "raw_text": texts})
    articles = build_article_frame(raw)
    assert articles.schema == pl.Schema(ARTICLE_SCHEMA)
    sentences, mentions, observations = build_extraction_frames(articles)
    assert sentences.schema == pl.Schema(SENTENCE_SCHEMA)
    assert mentions.schema == pl.Schema(MENTION_SCHEMA)
    assert observations.schema == pl.Schema(OBSERVATION_SCHEMA)
    assert set(observations["source_file"]) <= set(raw["source_file"])
