"""Company mentions: the editable dictionary first, then companies discovered by their form.

Discovery reads legal names (…有限公司), group names (…集团), names defined in the text
(``(下称“星晟传媒”)``), brands in quotes (``品牌“NN Limited”``) and names in role context
(``杨格锁业总经理``). Media, government bodies, schools, associations and venues are not
companies. People with their role are read from the same context.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from dagster_project.parsing.matching import find_dictionary_hits, finditer_ending_at, max_width, occurrence_ends
from dagster_project.parsing.numbers import LATIN_LETTER
from dagster_project.parsing.reference import read_seed
from dagster_project.parsing.regions import common_words

ROLE = (r"董事长兼CEO|董事长兼总经理|董事长兼总裁|联合创始人兼CEO|联合创始人|创始人兼CEO|创始人兼董事长|创始人|董事长|"
        r"副总经理|总经理|副总裁|总裁|CEO|COO|CFO|CMO|CPO|CTO|首席[\u4e00-\u9fff]{2,4}官|总监|负责人|合伙人|秘书长|"
        r"副局长|局长|副厅长|厅长|副市长|市长|党委书记|书记|镇长|主任|院长|特聘研究员|研究员|主持人|主播")
NAME_END = r"(?=说|表示|指出|认为|介绍|告诉|分析|坦言|称|回忆|透露|举例|也|在|的|则|对|等|和|与|[,，。、:：;；”\s(（]|$)"
PERSON = re.compile(
    rf"(?P<role>{ROLE})(?:[(（][^)）]{{1,12}}[)）])?(?P<name>[\u4e00-\u9fff·]{{2,4}}?){NAME_END}"
)
LEGAL_NAME = re.compile(r"[\u4e00-\u9fffA-Za-z0-9()（）]{2,40}?(?:股份有限公司|有限责任公司|有限公司)")
LEGAL_NAME_ENDS = ("有限公司", "有限责任公司")  # every legal name ends with one of these
GROUP_NAME = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,12}?集团")
GROUP_NAME_ENDS = ("集团",)
# What may follow a company named by its role context: 杨格锁业总经理, 玄度科技的主播, 遥望科技旗下.
ROLE_TAIL = re.compile(rf"(?:{ROLE}|的[\u4e00-\u9fff]{{0,4}}(?:主播|员工|董事长|总经理|负责人)|旗下)")
DEFINED_ALIAS = re.compile(r"^[(（](?:下称|以下简称|简称|以下称)[“\"](?P<alias>[^”\"]{2,16})[”\"][)）]")
QUOTED_BRAND = re.compile(r"品牌[“\"](?P<a>[^”\"]{2,20})[”\"]|[“\"](?P<b>[^”\"]{2,12})[”\"][\u4e00-\u9fff]{0,4}品牌")
# Where a name found by its form begins: after these words, not before.
LEFT_DELIMITERS = re.compile(
    r".*(?:和|与|及|的|是|在|了|为|由|把|被|将|对|向|从|给|等|或|即|如|像|包括|旗下|机构|企业|公司|平台|品牌|龙头|头部|知名|上市|注册|成立|创立|入驻|携手|联合|牵手|"
    r"引进|引入|落户|本土|首家|一家|这家|该|其)"
)
GENERIC_CORES = {"企业", "产业", "公司", "平台", "品牌", "集团", "控股", "电商", "科技", "传媒", "网络", "本地", "当地", "国有",
                 "民营", "龙头", "头部", "大型", "新兴", "数字", "智能", "信息", "文化", "直播", "国际", "中国", "全国"}


class CompanyMention(NamedTuple):
    surface: str
    start: int
    end: int
    company: str
    company_type: str
    source: str  # dictionary | discovered
    evidence_rule: str


class PersonMention(NamedTuple):
    name: str
    role: str
    organisation: str | None
    start: int
    end: int


@dataclass
class CompanyIndex:
    canonical: dict[str, tuple[str, str]]  # alias -> (company, type)
    patterns: list[str]  # every alias, longest first
    non_company_suffixes: tuple[str, ...]
    company_suffixes: tuple[str, ...]


@lru_cache(maxsize=1)
def company_index() -> CompanyIndex:
    canonical: dict[str, tuple[str, str]] = {}
    for row in read_seed("companies"):
        names = [row["company"], *[a for a in (row.get("aliases") or "").split("|") if a.strip()]]
        for name in names:
            canonical[name.strip()] = (row["company"].strip(), row["company_type"].strip() or "other")
    alts = sorted(canonical, key=len, reverse=True)
    rules = read_seed("org_suffix_rules")
    non_company = tuple(r["suffix"] for r in rules if r["kind"] != "company")
    company = tuple(r["suffix"] for r in rules if r["kind"] == "company")
    return CompanyIndex(canonical, alts, non_company, company)


@lru_cache(maxsize=1)
def role_context_pattern() -> tuple[re.Pattern, re.Pattern]:
    """(a name ending in a company suffix followed by a role, that suffix at the end of a name)."""
    suffixes = "|".join(sorted(company_index().company_suffixes, key=len, reverse=True))
    pattern = re.compile(rf"(?P<org>[\u4e00-\u9fffA-Za-z]{{2,10}}?(?:{suffixes}))(?={ROLE_TAIL.pattern})")
    return pattern, re.compile(rf"(?:{suffixes})$")


LEGAL_SUFFIX = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|集团)$")
SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")


def _trim_left(candidate: str) -> str:
    """Cut descriptive words off the front of a name found by its form: 位于沙溪镇的X有限公司 -> X有限公司."""
    suffix = LEGAL_SUFFIX.search(candidate)
    core, tail = (candidate[:suffix.start()], suffix.group(0)) if suffix else (candidate, "")
    m = LEFT_DELIMITERS.match(core)
    if m and len(core) - m.end() >= 2:
        core = core[m.end():]
    return core + tail


def _company_type_for(name: str) -> str:
    if re.search(r"传媒|文化|娱乐|互娱", name):
        return "mcn"
    if re.search(r"电器|照明|制衣|锁业|服饰|制造|工厂|五金|家具|实业", name):
        return "manufacturer"
    if re.search(r"咨询|研究", name):
        return "research"
    if re.search(r"网络|科技|云计算|电商|服务", name):
        return "service"
    return "other"


def _is_non_company(idx: CompanyIndex, name: str) -> bool:
    core = LEGAL_SUFFIX.sub("", name)
    return (core in GENERIC_CORES or len(core) < 2 or bool(re.search(r"(?:服务|产业|企业|商业|性|型|类)$", core))
            or any(core.endswith(s) for s in idx.non_company_suffixes))


def find_dictionary_companies(texts) -> list[list[tuple[str, int, int]]]:
    """Dictionary aliases in each text; a Latin alias only as a whole word (JD, not JDX)."""
    out = []
    for text, hits in zip(texts, find_dictionary_hits(texts, company_index().patterns)):
        out.append([(name, s, e) for name, s, e in hits
                    if not (LATIN_LETTER.match(name[0]) and s > 0 and LATIN_LETTER.match(text[s - 1]))
                    and not (LATIN_LETTER.match(name[-1]) and LATIN_LETTER.match(text[e:e + 1] or " "))])
    return out



def find_companies(text: str, dictionary_hits: list[tuple[str, int, int]] | None = None) -> list[CompanyMention]:
    """Companies in ``text``; ``dictionary_hits`` from find_dictionary_companies over a whole column
    (computed here for a single text when not given)."""
    idx = company_index()
    if dictionary_hits is None:
        dictionary_hits = find_dictionary_companies([text])[0]
    found: list[CompanyMention] = []
    taken = bytearray(len(text) + 1)  # 1 where a company already found covers the character

    def add(start: int, end: int, company: str, ctype: str, source: str, rule: str) -> None:
        if taken.find(1, start, end) >= 0:
            return
        found.append(CompanyMention(text[start:end], start, end, company, ctype, source, rule))
        taken[start:end] = b"\x01" * (end - start)

    defined: dict[str, str] = {}  # a legal name -> the short name the text defines for it
    # Names found by their form end with a suffix: the regexes run only just before one.
    for m in finditer_ending_at(LEGAL_NAME, text, occurrence_ends(text, LEGAL_NAME_ENDS), max_width(LEGAL_NAME), 0):
        name = _trim_left(m.group(0))
        start = m.end() - len(name)
        if _is_non_company(idx, name):
            continue
        alias = DEFINED_ALIAS.match(text[m.end():m.end() + 24])
        canonical = alias.group("alias") if alias else idx.canonical.get(name, (name, ""))[0]
        if alias:
            defined[alias.group("alias")] = canonical
        ctype = idx.canonical.get(name, ("", _company_type_for(name)))[1]
        add(start, m.end(), canonical, ctype, "discovered", "legal_name")
    for name, start, end in dictionary_hits:
        company, ctype = idx.canonical[name]
        add(start, end, company, ctype, "dictionary", "dictionary")
    for short, canonical in defined.items():
        for m in re.finditer(re.escape(short), text):
            add(m.start(), m.end(), canonical, _company_type_for(short), "discovered", "defined_alias")
    for m in finditer_ending_at(GROUP_NAME, text, occurrence_ends(text, GROUP_NAME_ENDS), max_width(GROUP_NAME), 0):
        name = _trim_left(m.group(0))
        start = m.end() - len(name)
        if not _is_non_company(idx, name):
            add(start, m.end(), name, "other", "discovered", "group_name")
    for m in QUOTED_BRAND.finditer(text):
        name = m.group("a") or m.group("b")
        start = m.start("a") if m.group("a") else m.start("b")
        if not re.search(r"[,，。!?？、]", name) and not _is_non_company(idx, name):
            add(start, start + len(name), name, "brand", "discovered", "quoted_brand")
    role_context, suffix_end = role_context_pattern()
    anchors = [q for q in occurrence_ends(text, idx.company_suffixes) if ROLE_TAIL.match(text, q)]
    for m in finditer_ending_at(role_context, text, anchors, max_width(role_context), max_width(ROLE_TAIL)):
        name = _trim_left(m.group("org"))
        start = m.end("org") - len(name)
        distinctive = suffix_end.sub("", name)
        if not _is_non_company(idx, name) and len(name) <= 8 and len(distinctive) >= 2 \
                and distinctive not in GENERIC_CORES:
            # 玄度科技 beside 中山市玄度互联网科技有限公司: the short form names the same company.
            canonical = next((c.company for c in found if c.evidence_rule == "legal_name" and distinctive in c.company), name)
            add(start, m.end("org"), canonical, _company_type_for(name), "discovered", "role_context")
    found.sort(key=lambda c: c.start)
    return found


def find_people(text: str, companies: list[CompanyMention]) -> list[PersonMention]:
    """People named with a role; the organisation is the company or body written right before."""
    ends = {c.end: c.company for c in companies}
    people = []
    for m in PERSON.finditer(text):
        name = m.group("name")
        if name[0] not in SURNAMES or name in common_words() or re.search(r"[是在了和与的]", name):
            continue
        org = ends.get(m.start())
        if org is None and m.group("role") in ("主播", "负责人", "主持人"):
            continue  # too common as plain nouns: only taken right after a company's name
        if org is None:
            before = re.search(r"([\u4e00-\u9fffA-Za-z]{2,14})$", text[max(0, m.start() - 14):m.start()])
            org = _trim_left(before.group(1)) if before else None
        people.append(PersonMention(name, m.group("role"), org, m.start(), m.end()))
    return people
