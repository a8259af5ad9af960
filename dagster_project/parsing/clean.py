"""Raw decoded text -> clean Simplified lines, each character mapped back to the raw text.

Order matters: mojibake repair reads GBK byte patterns, so it runs before any character
conversion; Traditional -> Simplified and NFKC run before line-level noise rules so that one
set of patterns serves both scripts.
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import opencc

from dagster_project.parsing.mojibake import LOST, repair_text
from dagster_project.parsing.tracked import Tracked

TONE_VOWELS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# 經(jīng)濟: a parenthesised pinyin syllable with a tone mark, right after a Han character.
# The lookaheads in front of PINYIN_GLOSS, HTML_TAG and MARKDOWN_EMPHASIS name the characters a match
# starts with, so the regex engine does not try the whole pattern at every position.
PINYIN_GLOSS = re.compile(rf"(?=[(])(?<=[\u3400-\u9fff])\((?=[a-z{TONE_VOWELS}]*[{TONE_VOWELS}])[a-z{TONE_VOWELS}]{{1,7}}\)")
HTML_TAG = re.compile(r"(?=[</a-z])(?:</?[A-Za-z][A-Za-z0-9]{0,10}(?:\s[^<>\n]{0,300})?/?>|(?<=\ufffd)/?[a-z]{1,6}>)")
HTML_ENTITY = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{2,6}|#x[0-9A-Fa-f]{2,5});")
MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]{0,300}\]\([^)\n]{0,500}\)")
MARKDOWN_EMPHASIS = re.compile(r"(?=[*_])(?:\*\*|__(?=\S)|(?<=\S)__)")
JSON_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|[nrt\"\\/])")
EMOJI = re.compile("[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F1E6-\U0001F1FF\uFE0F\u200d]")
SPACES = re.compile(r"[ \t\u3000\xa0]+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")

# Whole lines that are page furniture, not article text.
NOISE_LINE = re.compile(
    r"^(?:下载\s*app|下载客户端|扫码下载|扫码关注|扫一扫|打开app|点击下载|android版|iphone版|ios版|"
    r"专题|视频|图集|分享到.*|打开微信.*|手机qq扫描.*|.*二维码.*|.*客户端下载.*|.*新闻app|"
    r"责编[:：].*|责任编辑[:：].*|编辑[:：]\S{1,8}|校对[:：].*|审核[:：].*|"
    r"版权声明[:：].*|免责声明[:：].*|.*>\s*正文|首页\s*>.*|返回顶部|上一篇.*|下一篇.*|"
    r"点赞|收藏|评论|转发|举报|字号[:：].*|【?打印】?|【?关闭】?)$",
    re.IGNORECASE,
)
# A line that starts a block of trailing furniture: everything after it in the article goes.
TAIL_MARKER = re.compile(r"^(?:版权和免责声明|版权声明|免责声明|新闻推荐|相关阅读|相关新闻|推荐阅读|热门推荐|相关推荐|声明书)$")
SPAM_LINE = re.compile(
    r"博彩|赌场|娱乐城|网赌|真人荷官|六合彩|时时彩|彩票.{0,4}(?:计划|平台|代购)|无抵押.{0,6}贷|秒批|秒到账|"
    r"贷款.{0,8}(?:低息|秒|当天|无抵押)|代孕|刷单|日赚|兼职.{0,6}(?:日结|在家)|加(?:微信|微|v|V|qq|QQ)[:：]?\s*[A-Za-z0-9_-]{5,}"
)
TERMINAL = "。！？!?…；;：:”’」』)）】>"


@dataclass
class CleanText:
    lines: list[Tracked]
    repairs: int = 0
    lost_chars: int = 0
    removed_lines: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _unescape_json(m: re.Match) -> str:
    s = m.group(0)
    if s[1] == "u":
        return chr(int(s[2:], 16))
    return {"n": "\n", "r": "\n", "t": " "}.get(s[1], s[1])


def normalize_chars(raw: str) -> tuple[Tracked, int, int]:
    """Character-level repairs and conversions; returns the tracked text, repairs, lost chars."""
    repaired, repairs = repair_text(raw)
    t = Tracked.of(raw)
    if repairs:
        t = t.edit([(r.start, r.end, r.repaired) for r in repairs])
    if raw.count("\\n") >= 3 or raw.count('\\"') >= 3:  # a JSON string body pasted as text
        t = t.sub(JSON_ESCAPE, _unescape_json)
    t = t.sub(MARKDOWN_IMAGE, "")
    t = t.sub(HTML_TAG, "")
    t = t.sub(HTML_ENTITY, lambda m: html.unescape(m.group(0)).replace("\xa0", " "))
    t = t.sub(MARKDOWN_EMPHASIS, "")
    t = t.sub(PINYIN_GLOSS, "")
    t = t.map_text(_t2s().convert)
    if not unicodedata.is_normalized("NFKC", t.text):
        t = t.map_text(_nfkc)
    t = t.sub(EMOJI, "")
    t = t.sub(CONTROL, "")
    t = t.sub(SPACES, " ")
    return t, len(repairs), sum(r.lost_chars for r in repairs)


def split_lines(t: Tracked) -> list[Tracked]:
    """Lines without their surrounding blanks (an empty Tracked for a blank line); CR breaks too."""
    text = t.text.replace("\r", "\n")
    spans, start, n = [], 0, len(text)
    while start <= n:
        end = text.find("\n", start)
        end = n if end < 0 else end
        piece = text[start:end]
        stripped = piece.strip()
        lead = len(piece) - len(piece.lstrip())
        spans.append((start + lead, start + lead + len(stripped)) if stripped else (start, start))
        start = end + 1
    return t.slices(spans)


def is_noise_line(line: str) -> bool:
    return bool(NOISE_LINE.match(line) or SPAM_LINE.search(line))


BYLINE_OR_DATE = re.compile(r"记者|通讯员|\d{4}[-/年]\d{1,2}[-/月]\d{1,2}|^来源|^作者")
CLAUSE_MARK = re.compile(r"[,，、]")
LIST_ITEM_START = re.compile(r"^(?:\d{1,2}|[一二三四五六七八九十]{1,3}|[A-Z])[、.,， ]")
TEXT_START = re.compile(r"[\u4e00-\u9fffA-Za-z0-9“\"(（]")


def looks_like_byline_or_date(line: str) -> bool:
    return bool(BYLINE_OR_DATE.search(line)) and len(line) <= 40


def ends_mid_sentence(prev: str, nxt: str) -> bool:
    """A line broken inside a sentence: no closing punctuation, long or clause-bearing, and the
    next line continues with text rather than a heading, byline or list item."""
    if not prev or not nxt or prev[-1] in TERMINAL or prev.endswith(LOST):
        return False
    if not (len(prev) >= 40 or (len(prev) >= 12 and CLAUSE_MARK.search(prev))):
        return False
    if looks_like_byline_or_date(nxt) or LIST_ITEM_START.match(nxt):
        return False
    return bool(TEXT_START.match(nxt))


def clean_document(raw: str) -> CleanText:
    t, repairs, lost = normalize_chars(raw)
    kept: list[Tracked] = []
    removed: list[str] = []
    for line in split_lines(t):
        if not line.text:
            continue
        if is_noise_line(line.text):
            removed.append(line.text)
            continue
        kept.append(line)
    return CleanText(kept, repairs, lost, removed)


def join_broken_lines(lines: list[Tracked]) -> list[Tracked]:
    out: list[Tracked] = []
    for i, line in enumerate(lines):
        if out and i > 1 and ends_mid_sentence(out[-1].text, line.text):
            out[-1] = Tracked.join([out[-1], line], sep="")
        else:
            out.append(line)
    return out


def cut_tail(lines: list[Tracked]) -> tuple[list[Tracked], list[str]]:
    for i, line in enumerate(lines):
        if i > 0 and TAIL_MARKER.match(line.text):
            return lines[:i], [l.text for l in lines[i:]]
    return lines, []


def clean_plain(text: str) -> str:
    """The cleaning stage as one text -> text function (used to check idempotence)."""
    cleaned = clean_document(text)
    lines, _ = cut_tail(cleaned.lines)
    return "\n".join(l.text for l in join_broken_lines(lines))
