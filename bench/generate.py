"""Generate a realistic live-commerce news corpus of any size, with an answer key.

    python bench/generate.py --articles 1000 --out bench/out/corpus_1k --seed 7

Articles are assembled from varied sentence templates; places come from the division table,
companies from the dictionary, numbers in every grammar form (Arabic and Chinese numerals,
万/亿 multipliers, ranges, percentages, qualifiers). A share of files is Traditional, carries
page furniture or pinyin glosses, holds two articles, or is off topic. ``answer_key.jsonl``
lists every figure a live-commerce file states (file, value, value_high, unit, metric, region).
"""
from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parents[1]
CN_DIGITS = "零一二三四五六七八九"
S2T = opencc.OpenCC("s2t")


def cn_number(n: int) -> str:
    """Small integers as Chinese numerals (两 for a leading 2): 20 -> 二十, 300 -> 三百, 2000 -> 两千."""
    if n >= 10000:
        return cn_number(n // 10000) + "万" + (cn_number(n % 10000) if n % 10000 else "")
    parts, units = [], [(1000, "千"), (100, "百"), (10, "十")]
    rest = n
    for size, unit in units:
        d = rest // size
        if d:
            parts.append(("两" if d == 2 and size >= 1000 else CN_DIGITS[d]) + unit)
        rest %= size
    if rest:
        parts.append(CN_DIGITS[rest])
    s = "".join(parts) or "零"
    return s[1:] if s.startswith("一十") else s


def load_places(rng: random.Random):
    with open(ROOT / "reference" / "admin_divisions.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_code = {r["code"]: r for r in rows}
    cities = [r for r in rows if r["level"] == "prefecture" and r["name"].endswith("市")]
    towns = [r for r in rows if r["level"] == "town" and r["name"].endswith("镇") and by_code.get(r["parent_code"])]
    return by_code, cities, towns


def load_companies():
    with open(ROOT / "dbt" / "seeds" / "companies.csv", encoding="utf-8") as f:
        return [r["company"] for r in csv.DictReader(f) if r["company_type"] in ("mcn", "brand", "manufacturer", "service")]


class Writer:
    def __init__(self, rng: random.Random, by_code, cities, towns, companies):
        self.rng, self.by_code, self.cities, self.towns, self.companies = rng, by_code, cities, towns, companies

    def amount(self):
        """(text, value) for a money amount in one of several forms."""
        r = self.rng
        form = r.randrange(5)
        if form == 0:
            v = round(r.uniform(1, 9999), 2)
            return f"{v}亿元", v * 1e8
        if form == 1:
            v = r.randrange(100, 9999)
            return f"{v}万元", v * 1e4
        if form == 2:
            v = r.choice([2, 3, 5, 8]) * 1000
            return f"{cn_number(v)}万元", v * 1e4
        if form == 3:
            v = round(r.uniform(1, 20), 2)
            return f"{v}万亿元", v * 1e12
        v = r.randrange(1000, 99999)
        return f"{v:,}元", float(v)

    def article(self):
        """(title, paragraphs, facts) for one live-commerce article."""
        r = self.rng
        city = r.choice(self.cities)
        province = self.by_code[city["parent_code"]]
        town = r.choice(self.towns)
        town_city = self.by_code[town["parent_code"]]
        company = r.choice(self.companies)
        year = r.randrange(2019, 2026)
        m = r.randrange(3, 12)
        facts, paras = [], []
        sessions, rooms = round(r.uniform(1, 900), 2), round(r.uniform(0.5, 20), 2)
        gmv_text, gmv = self.amount()
        paras.append(f"据{city['name']}商务局数据,{year}年1—{m}月,全市直播场次达{sessions}万场,"
                     f"直播间数量{rooms}万间,实现直播成交额{gmv_text}。")
        facts += [(sessions * 1e4, None, "count", "live_sessions", city["name"]),
                  (rooms * 1e4, None, "count", "live_rooms", city["name"]),
                  (gmv, None, "CNY", "gmv", city["name"])]
        growth = round(r.uniform(1, 60), 2)
        paras.append(f"{city['short_name']}直播电商持续位居全国第一方阵,网络零售额同比增长{growth}%。")
        facts.append((growth, None, "percent", "growth_rate", city["name"]))
        n_firms = r.randrange(12, 980)
        firms_text = r.choice([f"{n_firms}家", f"{cn_number(n_firms)}家", f"超{n_firms}家"])
        people = r.randrange(2, 90) * 100
        paras.append(f"在{town_city['name']}{town['name']},已有{firms_text}企业入驻直播基地,带动就业{people}人。")
        facts += [(float(n_firms), None, "count", "entities", town["name"]), (float(people), None, "count", "people", town["name"])]
        lo, hi = sorted(r.sample(range(5, 60), 2))
        paras.append(f"{company}董事长表示,单场直播销售额可达{lo}万—{hi}万元,公司{year}年营收增长{r.randrange(5, 95)}%。")
        facts.append((lo * 1e4, hi * 1e4, "CNY", "gmv", None))
        forecast_text, forecast = self.amount()
        paras.append(f"预计{year + 1}年{province['name']}直播电商交易额将突破{forecast_text}。")
        facts.append((forecast, None, "CNY", "gmv", province["name"]))
        for _ in range(r.randrange(4, 9)):
            paras.insert(r.randrange(1, len(paras) + 1), r.choice(FILLER) + r.choice(FILLER))
        title = f"{city['short_name']}直播电商产业加速升级 {company}深耕产业带"
        return title, paras, facts

    def off_topic(self):
        r = self.rng
        city = r.choice(self.cities)
        return (f"{city['name']}优化住房公积金贷款政策",
                [f"{city['name']}住房公积金管理中心表示,贷款比例限额由房屋价格的{r.randrange(40, 60)}%提高到{r.randrange(60, 90)}%。",
                 "这次政策调整是对原有支持政策的优化和延伸,进一步降低购房者的资金压力。"], [])


FILLER = [
    "直播电商正成为激活产业、释放消费力的核心引擎,从田间地头的农产品直播到车间工厂的工业品带货,“直播+”已深度渗透到千行百业。",
    "业内人士认为,行业正在从流量驱动的规模扩张阶段,迈向以专业能力、系统效率和可持续性为核心的精细化运营新阶段。",
    "多家头部机构表示,供应链、内容创作和数字化工具是下一阶段竞争的关键,直播间的核心使命已转变为提升商业效率。",
    "当地政府扮演“连接器”与“服务商”的角色,提供低成本公寓、共享仓库和供应链金融服务,帮助中小商家规范经营。",
    "主播结构也在发生变化,更多主播从过往独立IP的打造向店播方向转移,品牌自播成为企业的标准配置。",
    "平台正通过AI工具降低运营门槛,并重点扶持产业带源头好货,帮助源头厂商把好货真正做成好品牌。",
    "从选品、主播培养、内容创作到技术迭代,直播电商对商品力、供应链稳定性和全周期运营提出了更高要求。",
    "热闹过后,直播产业能否与本地产业带融合共生,才是未来能否实现良性发展的关键。",
    "专业的运营管理人才和主播人才仍然紧缺,不少企业只能从直播产业成熟的城市挖掘人才。",
    "合规经营与综合能力将成为下一阶段的分水岭,监管趋严推动行业走向更规范、更可持续的模式。",
]
NOISE_HEAD = ["下载app", "扫码下载", "扫码关注"]
NOISE_TAIL = ["责编:张三", "版权声明: 凡来源为本网的稿件,均为本网独家版权所有,未经许可不得转载。", "分享到微信朋友圈"]


def render(rng, title, paras, publisher, traditional, glosses, noisy) -> str:
    body = [title, f"{publisher}记者 {rng.choice(['王明', '李华', '陈静', '张伟'])}", *paras]
    text = "\n\n".join(body)
    if glosses:
        text = text.replace("经济", "经(jīng)济", 1).replace("发展", "发(fā)展", 1)
    if traditional:
        text = S2T.convert(text)
    if noisy:
        text = "\n".join(NOISE_HEAD) + "\n" + text + "\n" + "\n".join(NOISE_TAIL)
    return text


def generate(n_articles: int, out: Path, seed: int) -> dict:
    rng = random.Random(seed)
    by_code, cities, towns = load_places(rng)
    writer = Writer(rng, by_code, cities, towns, load_companies())
    out.mkdir(parents=True, exist_ok=True)
    key = open(out.parent / f"{out.name}.answer_key.jsonl", "w", encoding="utf-8")
    written = total_bytes = 0
    i = 0
    while written < n_articles:
        i += 1
        name = f"gen_{seed}_{i:07d}.txt"
        pieces, facts = [], []
        for _ in range(2 if rng.random() < 0.1 else 1):
            if rng.random() < 0.15:
                title, paras, f = writer.off_topic()
            else:
                title, paras, f = writer.article()
            pieces.append(render(rng, title, paras, rng.choice(["证券时报", "南方日报", "新华日报"]),
                                 traditional=rng.random() < 0.2, glosses=rng.random() < 0.1, noisy=rng.random() < 0.3))
            facts += f
            written += 1
        data = "\n\n".join(pieces).encode("utf-8")
        (out / name).write_bytes(data)
        total_bytes += len(data)
        for value, high, unit, metric, region in facts:
            key.write(json.dumps({"source_file": name, "value": value, "value_high": high, "unit": unit,
                                  "metric": metric, "region": region}, ensure_ascii=False) + "\n")
    key.close()
    return {"articles": written, "files": i, "bytes": total_bytes}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print(generate(args.articles, args.out, args.seed))


if __name__ == "__main__":
    main()
