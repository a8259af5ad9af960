"""Number grammar on real sentences from the seeds and the spec's cases, exclusions included."""
import pytest

from dagster_project.parsing.numbers import find_quantities, parse_cn_int


def quantities(text):
    return [(q.span, q.value, q.value_high, q.unit, q.measure) for q in find_quantities(text)]


@pytest.mark.parametrize("numeral,value", [("两千万", 20_000_000), ("四十", 40), ("一百", 100), ("十", 10),
                                           ("一万两千", 12_000), ("三亿五千万", 350_000_000)])
def test_chinese_numerals(numeral, value):
    assert parse_cn_int(numeral) == value


@pytest.mark.parametrize("text,expected", [
    ("2024年中国直播电商交易规模已达5.33万亿元", [("5.33万亿元", 5.33e12, None, "CNY", None)]),
    ("全市直播场次达471.36万场,直播间数量4.86万间", [("471.36万场", 4_713_600, None, "count", "场"),
                                                   ("4.86万间", 48_600, None, "count", "间")]),
    ("全市已集聚直播相关市场主体超1.5万家", [("1.5万家", 15_000, None, "count", "家")]),
    ("让品牌销售额突破了两千万元", [("两千万元", 2e7, None, "CNY", None)]),
    ("单场销售额可达15万—25万元", [("15万—25万元", 150_000, 250_000, "CNY", None)]),
    ("订单下降了30%到35%左右", [("30%到35%", 30, 35, "percent", None)]),
    ("目前单间月租金下降500—1000元不等", [("500—1000元", 500, 1000, "CNY", None)]),
    ("同比增长8.31%", [("8.31%", 8.31, None, "percent", None)]),
    ("成交了8千多单,平均每单销售额达6800元", [("8千多单", 8000, None, "count", "单"), ("6800元", 6800, None, "CNY", None)]),
    ("拼多多为10余家亿元以上的照明灯饰企业", [("10余家", 10, None, "count", "家"), ("亿元", 1e8, None, "CNY", None)]),
    ("建起拥有超千平智慧展厅、上万平直播空间", [("千平", 1000, None, "sqm", None), ("上万平", 10_000, None, "sqm", None)]),
    ("每个人每个月要做一两场直播", [("一两场", 1, 2, "count", "场")]),
    ("覆盖天猫、京东、抖音、得物等 20+ 主流电商平台", [("20+", 20, None, "count", None)]),
    ("长城奖、虎啸奖等百余项行业大奖", [("百余项", 100, None, "count", "项")]),
    ("甚至有的房子被改成了十多间房分租", [("十多间", 10, None, "count", "间")]),
    ("组建起四十多人的专业队伍", [("四十多人", 40, None, "count", "人")]),
    ("是一座总面积超过26万平方厘米的超大单体建筑", [("26万平方厘米", 26, None, "sqm", None)]),
    ("累计管理内容营销投放金额超 10 亿元", [("10 亿元", 1e9, None, "CNY", None)]),
    ("对“9块9一百根头绳”的纯粹好奇", [("9块9", 9.9, None, "CNY", None), ("一百根", 100, None, "count", "根")]),
    ("她把直播间做成了万人在线的直播间", [("万人", 10_000, None, "count", "人")]),
    ("线上消费者中,18—35岁人群占比已超过60%", [("60%", 60, None, "percent", None)]),
    ("互动率超行业平均水平两倍", [("两倍", 2, None, "times", None)]),
    ("三分之一的商家", [("三分之一", 33.3333, None, "percent", None)]),
    ("四成消费者", [("四成", 40, None, "percent", None)]),
    ("下降3个百分点", [("3个百分点", 3, None, "percent", None)]),
    ("营收1,234.5万元", [("1,234.5万元", 12_345_000, None, "CNY", None)]),
])
def test_quantities(text, expected):
    got = quantities(text)
    assert [(s, pytest.approx(v), pytest.approx(h) if h is not None else None, u, m) for s, v, h, u, m in got] == \
        [(s, pytest.approx(v), pytest.approx(h) if h is not None else None, u, m) for s, v, h, u, m in expected]


@pytest.mark.parametrize("text", [
    "2025年1—10月",               # dates and years
    "12月5日,杭州全市平台经济高质量发展大会召开",
    "25岁的东北姑娘小五南下义乌",  # ages
    "每场直播时间为6—8小时",       # durations
    "2天时间收获了",
    "位居中国直播电商综合实力 TOP10",  # ranks
    "第一次直播我们准备了",
    "阿里巴巴1688中山直播基地",     # digits inside names
    "“296X”先进制造业集群体系",
    "在沙溪镇兴工路88号网胜直播基地举行",  # addresses
    "对于千千万万像小五这样的普通人",  # idioms
    "擁有亿万粉丝的“快手一姐”",
    "全渠道年带货数十亿",          # unknown digits
    "交易订单有几千单",
    "相比以往翻了一倍",            # doubling without a figure
    "一场直播影响着",              # the numeral one as an article
    "这四个核心",
])
def test_exclusions(text):
    assert quantities(text) == []


@pytest.mark.parametrize("text,spans", [
    ("一是加强主播培训;二是扩大直播基地规模。", []),                 # list numbering
    ("1、培育主播500名;2、打造10个直播基地。", ["500名", "10个"]),
    ("（3）新增直播间200间", ["200间"]),
])
def test_list_numbers_are_not_figures(text, spans):
    assert [q.span for q in find_quantities(text)] == spans
