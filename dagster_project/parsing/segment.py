"""Clean lines -> articles: split files that hold several articles and read their metadata."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from dagster_project.parsing.clean import cut_tail, join_broken_lines
from dagster_project.parsing.periods import calendar_date
from dagster_project.parsing.tracked import Tracked

MEDIA_SUFFIX = r"(?:报|社|网|台|新闻|杂志|周刊|财经|客户端|交汇点|观察|在线)"
BYLINE = re.compile(
    r"^(?:(?:采写|文|撰文|记者)[:：]\s*)?(?P<pub>[\u4e00-\u9fff·]{2,14}?)?(?:首席)?(?:记者|通讯员)(?!手记|观察|调查|札记|节)\s*"
    r"(?P<authors>[\u4e00-\u9fff]{2,4}(?:[ 、,，][\u4e00-\u9fff]{2,4}){0,5})(?:\s|$|摄影|/)"
)
WIRE = re.compile(rf"^[(（【\[]?(?P<pub>[\u4e00-\u9fff]{{2,8}}?{MEDIA_SUFFIX}?)讯[)）】\]]")
SOURCE_LINE = re.compile(rf"^(?:来源[:：]\s*)?(?P<pub>[\u4e00-\u9fff·]{{2,12}}{MEDIA_SUFFIX})\s+(?P<date>\d{{4}}-\d{{1,2}}-\d{{1,2}})")
DATE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-/年.]\s*(?P<m>\d{1,2})\s*[-/月.]\s*(?P<d>\d{1,2})(?!\d)")
SEPARATOR = re.compile(r"^[-=_*—━~·]{4,}$")
LIVE_COMMERCE_TERMS = {
    "直播电商": 3, "直播带货": 3, "电商直播": 3, "带货": 2, "直播间": 2, "主播": 2, "MCN": 2,
    "直播": 1, "网红": 1, "电商": 1, "产业带": 1, "达人": 1, "种草": 1, "店播": 2, "短视频": 1,
}
LIVE_COMMERCE_THRESHOLD = 6.0  # weighted term hits per article


@dataclass
class Article:
    seq: int
    text: Tracked
    title: str | None = None
    publisher: str | None = None
    published_date: str | None = None
    authors: list[str] = field(default_factory=list)
    live_commerce_score: float = 0.0
    removed_tail: list[str] = field(default_factory=list)

    @property
    def is_live_commerce(self) -> bool:
        return self.live_commerce_score >= LIVE_COMMERCE_THRESHOLD


def is_title_like(line: str) -> bool:
    return 4 <= len(line) <= 64 and "。" not in line and not BYLINE.match(line) and not line.endswith((",", "，", ":", "："))


def split_articles(lines: list[Tracked]) -> list[list[Tracked]]:
    """A new article starts at a title line directly followed by a byline, or after a rule line."""
    groups: list[list[Tracked]] = [[]]
    for line in lines:
        text = line.text
        if SEPARATOR.match(text):
            if groups[-1]:
                groups.append([])
            continue
        current = groups[-1]
        if BYLINE.match(text) and len(text) <= 40 and len(current) >= 3 and is_title_like(current[-1].text):
            title = current.pop()
            groups.append([title])
        groups[-1].append(line)
    return [g for g in groups if g]


def live_commerce_score(text: str) -> float:
    return float(sum(weight * text.count(term) for term, weight in LIVE_COMMERCE_TERMS.items()))


def read_metadata(lines: list[Tracked]) -> dict:
    meta: dict = {"title": None, "publisher": None, "published_date": None, "authors": []}
    if lines and is_title_like(lines[0].text) and not SOURCE_LINE.match(lines[0].text):
        meta["title"] = lines[0].text
    for i, line in enumerate(lines):
        text = line.text
        head = i < 8
        if head and (m := WIRE.match(text)) and not meta["publisher"]:
            meta["publisher"] = m.group("pub")
        if len(text) <= 60 and (m := SOURCE_LINE.match(text)):
            meta["publisher"] = meta["publisher"] or m.group("pub")
            meta["published_date"] = meta["published_date"] or _iso(DATE.search(m.group("date")))
        if len(text) <= 40 and (m := BYLINE.match(text)):
            pub = m.group("pub")
            if pub and not meta["publisher"] and re.search(MEDIA_SUFFIX + r"$|·", pub):
                meta["publisher"] = pub
            meta["authors"] += [a for a in re.split(r"[ 、,，]", m.group("authors")) if a and a not in meta["authors"]]
        if head and not meta["published_date"] and len(text) <= 40 and (m := DATE.search(text)):
            meta["published_date"] = _iso(m)
    return meta


def _iso(m: re.Match | None) -> str | None:
    if not m:
        return None
    day = calendar_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    return day.isoformat() if day else None


def build_articles(lines: list[Tracked]) -> list[Article]:
    articles = []
    for seq, group in enumerate(split_articles(lines), start=1):
        body, tail = cut_tail(group)
        body = join_broken_lines(body)
        text = Tracked.join(body, sep="\n")
        meta = read_metadata(body)
        articles.append(Article(seq=seq, text=text, live_commerce_score=live_commerce_score(text.text),
                                removed_tail=tail, **meta))
    return articles
