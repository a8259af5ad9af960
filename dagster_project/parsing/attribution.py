"""Metric observations of many articles at once: each quantity attributed to its metric, region,
company, period, qualifier, status and source with Polars joins and string expressions over
whole columns, instead of a Python loop per quantity.

Every quantity is placed in its sentence, list item (between semicolons) and clause (between any
separators); the keywords, companies, places and periods of the article are then joined to the
quantities of the same sentence (or the one before, for what carries over) and filtered by
position. An item lies in [lo, hi) when it starts there and ends by hi; "the last ending" and
"the first starting" break ties by start order, then by the order the item was found in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from dagster_project.parsing import extract as rules
from dagster_project.parsing.companies import CompanyMention
from dagster_project.parsing.numbers import Quantity, find_quantities
from dagster_project.parsing.periods import PeriodMention
from dagster_project.parsing.regions import RegionMention

HAN = "[\u4e00-\u9fff]"
GOVERNMENT_AFTER = "^" + rules.GOVERNMENT_AFTER.pattern
SEMICOLON = "[；;]"
NUL = "\x00"  # never in clean text (clean.CONTROL removes it): marks cuts
UNIT_CLASS = {"percent": "percent", "sqm": "area", "mu": "area", "times": "times"}


@dataclass
class ObservationInputs:
    """The tokens of a chunk's articles, column by column: ``add`` one article at a time, then
    ``attribute`` them all. Articles are numbered in the order they are added."""
    articles: dict[str, list] = field(default_factory=lambda: {k: [] for k in (
        "text", "ref_year", "focus_city", "focus_province", "focus")})
    sentences: dict[str, list] = field(default_factory=lambda: {k: [] for k in ("article", "start", "end")})
    quantities: dict[str, list] = field(default_factory=lambda: {k: [] for k in (
        "article", "start", "end", "span", "value", "value_high", "unit", "measure", "approx_suffix", "is_range")})
    regions: dict[str, list] = field(default_factory=lambda: {k: [] for k in (
        "article", "start", "end", "region", "code", "level")})
    subjects: dict[str, list] = field(default_factory=lambda: {k: [] for k in (
        "article", "start", "end", "company", "company_type")})
    periods: dict[str, list] = field(default_factory=lambda: {k: [] for k in ("article", "start", "end", "period")})

    def add(self, text: str, ref_year: int | None, regions: list[RegionMention], companies: list[CompanyMention],
            periods: list[PeriodMention], focus_city: str | None,
            focus_province: str | None, focus: str | None, quantities: list[Quantity],
            sentences: tuple[tuple[int, int], ...]) -> None:
        a = len(self.articles["text"])
        for key, value in zip(self.articles, (text, ref_year, focus_city, focus_province, focus)):
            self.articles[key].append(value)
        _extend(self.sentences, a, sentences)
        _extend(self.quantities, a, [(q.start, q.end, q.span, q.value, q.value_high, q.unit, q.measure,
                                      q.approx_suffix, q.is_range) for q in quantities])
        # 全省 / 全市 / 本地 stand for the article's province or city where they are written.
        scoped = []
        for m in rules.SCOPE_WORDS.finditer(text):
            place = focus_province if rules.PROVINCE_WIDE.match(m.group(0)) else focus_city
            if place:
                scoped.append((m.start(), m.end(), place, None, ""))
        _extend(self.regions, a, sorted([(r.start, r.end, r.region, r.code, r.level) for r in regions] + scoped,
                                        key=lambda r: r[0]))
        _extend(self.subjects, a, [(c.start, c.end, c.company, c.company_type) for c in companies
                                   if c.company_type != "research"])
        _extend(self.periods, a, [(p.start, p.end, p.period) for p in periods])

    def attribute(self) -> pl.DataFrame:
        articles = pl.DataFrame(self.articles, schema={"text": pl.String, "ref_year": pl.Int64, "focus_city": pl.String,
                                                       "focus_province": pl.String, "focus": pl.String}).with_row_index("article")
        return attribute(
            articles,
            _frame(self.sentences, start=pl.Int64, end=pl.Int64),
            _frame(self.quantities, start=pl.Int64, end=pl.Int64, span=pl.String, value=pl.Float64,
                   value_high=pl.Float64, unit=pl.String, measure=pl.String, approx_suffix=pl.Boolean,
                   is_range=pl.Boolean),
            keyword_matches(articles).with_row_index("order"),
            _frame(self.regions, start=pl.Int64, end=pl.Int64, region=pl.String, code=pl.String, level=pl.String),
            _frame(self.subjects, start=pl.Int64, end=pl.Int64, company=pl.String, company_type=pl.String),
            _frame(self.periods, start=pl.Int64, end=pl.Int64, period=pl.String))


def extract_observations(text: str, ref_year: int | None, regions: list[RegionMention],
                         companies: list[CompanyMention], periods: list[PeriodMention],
                         focus_city: str | None, focus_province: str | None, focus: str | None) -> list[dict]:
    """The observations of one article, as dicts (a chunk of articles goes through
    ``ObservationInputs`` instead)."""
    inputs = ObservationInputs()
    inputs.add(text, ref_year, regions, companies, periods, focus_city, focus_province, focus, find_quantities(text),
               rules.split_sentences(text))
    return inputs.attribute().drop("article").to_dicts()


def _extend(columns: dict[str, list], article: int, rows: list[tuple]) -> None:
    columns["article"].extend([article] * len(rows))
    for key, values in zip(list(columns)[1:], zip(*rows) if rows else [() for _ in list(columns)[1:]]):
        columns[key].extend(values)


def _frame(columns: dict[str, list], **schema) -> pl.DataFrame:
    """Items of one kind, numbered in the order they were found."""
    frame = pl.DataFrame(columns, schema={"article": pl.UInt32, **schema})
    return frame.with_row_index("order")


def keyword_matches(articles: pl.DataFrame) -> pl.DataFrame:
    """(article, start, end, keyword) of every metric keyword in each article's text, in order: the
    matches of ``extract.metric_keywords``' regular expression (longest keyword first at the
    leftmost position), found by Aho-Corasick over the whole column. Polars gives no match
    offsets, so a match starts after the text between the earlier matches and the matches
    themselves; clean text holds no NUL character, which marks where the matches were."""
    table, _ = rules.metric_keywords()
    words = sorted(table, key=len, reverse=True)  # the regular expression's order of alternatives
    found = articles.select(
        "article",
        keyword=pl.col("text").str.extract_many(words, leftmost=True),
        gap=pl.col("text").str.replace_many(words, [NUL] * len(words), leftmost=True).str.split(NUL)
        .list.eval(pl.element().str.len_chars()),
    )
    found = found.with_columns(pl.col("gap").list.head(pl.col("keyword").list.len())).explode("keyword", "gap")
    length = pl.col("keyword").str.len_chars()
    return (found.filter(pl.col("keyword").is_not_null())
            .with_columns(start=(pl.col("gap").cum_sum() + length.cum_sum() - length).over("article").cast(pl.Int64))
            .select("article", "start", end=pl.col("start") + length.cast(pl.Int64), keyword="keyword"))


def keyword_table() -> pl.DataFrame:
    table, _ = rules.metric_keywords()
    return pl.DataFrame({"keyword": list(table), "metric": [k.metric for k in table.values()],
                         "keyword_class": [k.unit_class for k in table.values()],
                         "measures": [list(k.measures) if k.measures is not None else None for k in table.values()]},
                        schema={"keyword": pl.String, "metric": pl.String, "keyword_class": pl.String,
                                "measures": pl.List(pl.String)})


def _char_positions(articles: pl.DataFrame, char_class: str) -> pl.DataFrame:
    """(article, pos) of every character of ``char_class`` in each article's text, in order. The
    text is cut at those characters and the pieces' lengths summed: Polars gives no match offsets.
    Clean text holds no NUL character, which marks the cuts."""
    pieces = articles.select("article", pl.col("text").str.replace_all(char_class, NUL)
                             .str.split(NUL).list.eval(pl.element().str.len_chars()).alias("length"),
                             pl.col("text").str.len_chars().alias("text_length"))
    return (pieces.explode("length")
            .with_columns(pos=(pl.col("length").cum_sum() + pl.int_range(pl.len())).over("article"))
            .filter(pl.col("pos") < pl.col("text_length"))
            .select("article", pl.col("pos").cast(pl.Int64)))


def _asof(quantities: pl.DataFrame, positions: pl.DataFrame, left_on: pl.Expr, name: str, strategy: str) -> pl.DataFrame:
    """The nearest position at or before (backward) or at or after (forward) ``left_on``, by
    article. Quantities come in article and start order, positions in article and position order."""
    right = positions.select("article", pl.col("pos").alias(name), pl.col("pos").alias("_key"))
    return (quantities.with_columns(_key=left_on)
            .join_asof(right, on="_key", by="article", strategy=strategy, check_sortedness=False).drop("_key"))


def _slice(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """text[start:end] for character offsets (empty when end <= start)."""
    return pl.col("text").str.slice(start, pl.max_horizontal(end - start, pl.lit(0)))


def _local(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """text[start:end] for a window of the quantity's list item or just after it, cut from
    ``local`` (text[ss:...]): slicing the whole text again would walk it from the start."""
    return pl.col("local").str.slice(start - pl.col("ss"), pl.max_horizontal(end - start, pl.lit(0)))


def _best(pairs: pl.DataFrame, condition: pl.Expr, order: list[pl.Expr], columns: dict[str, str]) -> pl.DataFrame:
    """Per quantity, the first pair (by ``order``) that meets ``condition``: its ``columns``
    renamed (name: source). Quantities without one have no row."""
    return (pairs.filter(condition).sort(["q", *order])
            .unique("q", keep="first", maintain_order=True)
            .select("q", *[pl.col(source).alias(name) for name, source in columns.items()]))


def _last_ending(lo: pl.Expr, hi: pl.Expr) -> tuple[pl.Expr, list[pl.Expr]]:
    """Inside [lo, hi), the item ending last."""
    return _inside(lo, hi), [-pl.col("item_end"), pl.col("item_order")]


def _first_starting(lo: pl.Expr, hi: pl.Expr) -> tuple[pl.Expr, list[pl.Expr]]:
    """Inside [lo, hi), the item starting first."""
    return _inside(lo, hi), [pl.col("item_order")]


def _given(column: str) -> pl.Expr:
    return pl.col(column).is_not_null() & (pl.col(column) != "")


def _inside(lo: pl.Expr, hi: pl.Expr) -> pl.Expr:
    return (pl.col("item_start") >= lo) & (pl.col("item_start") < hi) & (pl.col("item_end") <= hi)


def _pairs(quantities: pl.DataFrame, items: pl.DataFrame, context: list[str], previous: bool = False) -> pl.DataFrame:
    """Each quantity beside the items of its sentence (and of the sentence before, with
    ``previous``): every look-up stays inside those."""
    renamed = items.rename({c: f"item_{c}" for c in items.columns if c not in ("article", "si")})
    left = quantities.select("q", "article", "si", *context)
    pairs = left.join(renamed, on=["article", "si"], nulls_equal=True)
    if previous:
        before = left.with_columns(pl.col("si") - 1).join(renamed, on=["article", "si"]).with_columns(pl.col("si") + 1)
        pairs = pl.concat([pairs, before])
    return pairs


def _sentence_index(items: pl.DataFrame, sentences: pl.DataFrame) -> pl.DataFrame:
    """Items with ``si``, the sentence they start in (the first ending after their start; the
    article's last if none), the rule that places a quantity in its sentence."""
    ends = sentences.select("article", "si", pl.col("end").alias("_key"))
    last = sentences.group_by("article").agg(pl.col("si").max().alias("_last"))
    return (items.sort("article", "start", maintain_order=True).with_columns(_key=pl.col("start") + 1)
            .join_asof(ends, on="_key", by="article", strategy="forward", check_sortedness=False)
            .join(last, on="article", how="left", maintain_order="left")
            .with_columns(si=pl.coalesce("si", "_last")).drop("_key", "_last"))


def _attach(frame: pl.DataFrame, right: pl.DataFrame, on: str | list[str]) -> pl.DataFrame:
    """``frame`` left-joined with ``right`` on ``on`` (unique in ``right``), in ``frame``'s order. Only
    the keys go through the join and the new columns are put beside ``frame``: a join would copy
    every column of the wide quantity frame again."""
    added = frame.select(on).join(right, on=on, how="left", maintain_order="left")
    return frame.hstack(added.drop(on).get_columns())


def _lookups(quantities: pl.DataFrame, items: pl.DataFrame, context: list[str],
             lookups: dict[str, tuple[tuple[pl.Expr, list[pl.Expr]], dict[str, str]]],
             previous: bool = False) -> pl.DataFrame:
    """Several nearest-item look-ups of the same items: each adds its columns (null if none found)."""
    pairs = _pairs(quantities, items, context, previous)
    for name, ((condition, order), columns) in lookups.items():
        found = _best(pairs, condition, order, {**columns, f"{name}_found": "item_order"})
        quantities = _attach(quantities, found.with_columns(pl.col(f"{name}_found").is_not_null()), "q")
        quantities = quantities.with_columns(pl.col(f"{name}_found").fill_null(False))
    return quantities


def attribute(articles: pl.DataFrame, sentences: pl.DataFrame, quantities: pl.DataFrame, keywords: pl.DataFrame,
              regions: pl.DataFrame, subjects: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """One row per quantity, in article and quantity order: ``article`` (the article's number),
    the quantity's span, offsets, value and unit, and what it is attributed to."""
    numbered = sentences.with_columns(si=pl.int_range(pl.len()).over("article"))
    bounds = numbered.select("article", "si", pl.col("start").alias("fs"), pl.col("end").alias("fe"))
    q = _sentence_index(quantities.drop("order").with_row_index("q"), numbered).sort("q")
    q = _attach(_attach(_attach(q, articles, "article"), bounds, ["article", "si"]),
                bounds.select("article", (pl.col("si") + 1).alias("si"), pl.col("fs").alias("prev_fs")), ["article", "si"])
    q = q.with_columns(text_length=pl.col("text").str.len_chars(),
                       next_start=pl.col("start").shift(-1).over("article"))
    q = q.with_columns(next_start=pl.coalesce("next_start", "text_length"),
                       fs=pl.coalesce("fs", pl.lit(0)), fe=pl.coalesce("fe", "text_length"))
    keywords, subjects, regions, periods = (_sentence_index(items, numbered)
                                            for items in (keywords, subjects, regions, periods))

    # The list item (semicolons split a sentence) and the clause (any separator splits the item).
    semicolons = _char_positions(articles, SEMICOLON)
    q = _asof(q, semicolons, pl.col("start") - 1, "semi_before", "backward")
    q = _asof(q, semicolons, pl.col("end"), "semi_after", "forward")
    q = q.with_columns(
        ss=pl.when(pl.col("semi_before") >= pl.col("fs")).then(pl.col("semi_before") + 1).otherwise("fs"),
        se=pl.when(pl.col("semi_after") < pl.col("fe")).then("semi_after").otherwise("fe"),
    )
    separators = _char_positions(articles, rules.CLAUSE_SEP.pattern)
    q = _asof(q, separators, pl.col("start") - 1, "sep_before", "backward")
    q = _asof(q, separators, pl.col("start"), "sep_after", "forward")
    q = q.with_columns(
        cs=pl.when(pl.col("sep_before") >= pl.col("ss")).then(pl.col("sep_before") + 1).otherwise("ss"),
        ce=pl.when(pl.col("sep_after") < pl.col("se")).then("sep_after").otherwise("se"),
        prev_start=pl.coalesce("prev_fs", "ss"),
    ).drop("semi_before", "semi_after", "sep_before", "sep_after", "prev_fs")
    q = q.with_columns(local=_slice(pl.col("ss"), pl.max_horizontal("se", pl.col("end") + 4))).drop("text")
    q = q.with_columns(
        unit_class=pl.when(pl.col("unit").is_in(sorted(rules.MONEY_UNITS))).then(pl.lit("money"))
        .otherwise(pl.col("unit").replace_strict(UNIT_CLASS, default="count")),
        counted_noun=pl.col("measure").is_not_null() & _local(pl.col("end"), pl.col("end") + 1).str.contains("^" + HAN),
        right_end=pl.min_horizontal("ce", "next_start", pl.col("end") + rules.RIGHT_KEYWORD_WINDOW + 4),
    )

    q = _metric(q, keywords)
    q = _subject(q, subjects)
    q = _place(q, articles, regions)
    q = _period(q, periods)

    before_sentence = _local(pl.col("ss"), pl.col("start"))
    item = _local(pl.col("ss"), pl.col("se"))
    window_before = _local(pl.max_horizontal("cs", pl.col("start") - 5), pl.col("start"))
    window_after = _local(pl.col("end"), pl.col("end") + 4)
    falls = _local(pl.max_horizontal("cs", pl.col("start") - 8), pl.col("start")).str.contains(rules.FALL.pattern)
    # 较2024年的3933.45亿元: a past figure beside a forecast is a fact.
    past_period = (pl.col("period").str.slice(0, 4).str.contains(r"^\d+$")
                   & (pl.col("period").str.slice(0, 4).cast(pl.Int64, strict=False) < pl.col("ref_year"))
                   & (pl.col("ref_year") != 0))
    out = q.with_columns(
        value=pl.when(falls).then(-pl.coalesce("value_high", "value")).otherwise("value"),
        value_high=pl.when(falls & pl.col("value_high").is_not_null()).then(-pl.col("value")).otherwise("value_high"),
        qualifier=pl.when(pl.col("is_range")).then(pl.lit("range"))
        .when(window_before.str.contains(rules.AT_MOST_BEFORE.pattern) | window_after.str.contains(rules.AT_MOST_AFTER.pattern))
        .then(pl.lit("at_most"))
        .when(pl.col("approx_suffix") | window_before.str.contains(rules.AT_LEAST_BEFORE.pattern)
              | window_after.str.contains(rules.AT_LEAST_AFTER.pattern)).then(pl.lit("at_least"))
        .when(window_before.str.contains(rules.APPROX_BEFORE.pattern) | window_after.str.contains(rules.APPROX_AFTER.pattern)
              | pl.col("span").str.ends_with("级")).then(pl.lit("approx"))
        .otherwise(pl.lit("exact")),
        status=pl.when(past_period.fill_null(False)).then(pl.lit("actual"))
        .when(before_sentence.str.contains(rules.FORECAST.pattern)).then(pl.lit("forecast"))
        .when(before_sentence.str.contains(rules.TARGET.pattern)).then(pl.lit("target"))
        .otherwise(pl.lit("actual")),
        source_org=pl.coalesce(before_sentence.str.extract(rules.SOURCE.pattern, 1),
                               before_sentence.str.extract(rules.SOURCE.pattern, 2)),
        evidence=item.str.strip_chars(),
    )
    return out.sort("q").select(
        "article", "span", pl.col("start").alias("char_start"), pl.col("end").alias("char_end"), "value", "value_high",
        "unit", "measure", "metric", "region", "region_code", "company", "period", "qualifier", "status", "source_org",
        "evidence")


def _metric(q: pl.DataFrame, keywords: pl.DataFrame) -> pl.DataFrame:
    """The nearest compatible keyword in the clause, before the number or just after it (千万级的产值,
    接近30万的商家), else the nearest earlier in the sentence, unless the number counts the noun
    that follows it (17个行业); else a fallback by unit and measure."""
    items = keywords.join(keyword_table(), on="keyword", how="left")
    pairs = _pairs(q, items, ["start", "end", "cs", "ss", "right_end", "counted_noun", "unit_class", "measure", "unit"])
    before = _inside(pl.col("cs"), pl.col("start"))
    after = (_inside(pl.col("end"), pl.col("end") + rules.RIGHT_KEYWORD_WINDOW + 1 + 64)
             & (pl.col("item_start") <= pl.col("end") + rules.RIGHT_KEYWORD_WINDOW)
             & (pl.col("item_end") <= pl.col("right_end")))
    earlier = ~pl.col("counted_noun") & _inside(pl.col("ss"), pl.col("cs"))
    compatible = (
        ((pl.col("unit_class") == "count") & pl.col("measure").is_null() & (pl.col("item_keyword_class") == "money"))
        | ((pl.col("item_keyword_class") == pl.col("unit_class"))
           & (pl.col("item_measures").is_null() | (pl.col("unit_class") != "count")
              | pl.col("item_measures").list.contains(pl.col("measure").fill_null(""))))
    )
    order = [
        pl.when(earlier).then(1).otherwise(0),  # the clause first, then the rest of the sentence
        pl.when(before).then(pl.col("start") - pl.col("item_end"))
        .when(after).then(pl.col("item_start") - pl.col("end"))
        .otherwise(-pl.col("item_end")),
        pl.when(after).then(1).otherwise(0),  # at equal distance, before the number first
        pl.col("item_order"),
    ]
    found = _best(pairs, (before | after | earlier) & compatible, order,
                  {"keyword_metric": "item_metric", "keyword_class": "item_keyword_class"})
    q = _attach(q, found, "q")
    item_text = _local(pl.col("ss"), pl.col("se"))
    clause_text = _local(pl.col("cs"), pl.col("ce"))
    fallback = (
        pl.when(pl.col("unit_class") == "percent").then(pl.lit("share"))
        .when(pl.col("unit_class") == "area").then(pl.lit("area"))
        .when((pl.col("unit_class") == "count") & pl.col("measure").is_not_null())
        .then(pl.when((pl.col("measure") == "场") & item_text.str.contains("直播", literal=True)).then(pl.lit("live_sessions"))
              .when((pl.col("measure") == "间") & clause_text.str.contains("直播", literal=True)).then(pl.lit("live_rooms"))
              .otherwise(pl.col("measure").replace_strict(rules.MEASURE_FALLBACK, default="other")))
        .otherwise(pl.lit("other"))
    )
    becomes_money = (pl.col("keyword_class") == "money") & (pl.col("unit") == "count")
    return q.with_columns(
        metric=pl.coalesce("keyword_metric", fallback),
        unit=pl.when(becomes_money).then(pl.lit("CNY")).otherwise("unit"),
        measure=pl.when(becomes_money).then(pl.lit(None, pl.String)).otherwise("measure"),
    ).drop("keyword_metric", "keyword_class")


def _subject(q: pl.DataFrame, subjects: pl.DataFrame) -> pl.DataFrame:
    """The company nearest the number: in its clause before it, earlier in the sentence, after it in
    the clause, later in the sentence. The whole sentence counts, not only the list item: the
    subject of a list sentence governs every item."""
    ordered = subjects.sort("article", "start", "order").with_columns(order=pl.int_range(pl.len()))
    q = _lookups(q, ordered, ["start", "end", "cs", "ce", "fs", "fe"], {
        "a": (_last_ending(pl.col("cs"), pl.col("start")), {"company_a": "item_company"}),
        "b": (_last_ending(pl.col("fs"), pl.col("cs")), {"company_b": "item_company"}),
        "c": (_first_starting(pl.col("end"), pl.col("ce")), {"company_c": "item_company"}),
        "d": (_first_starting(pl.col("ce"), pl.col("fe")), {"company_d": "item_company"}),
    })
    q = q.with_columns(company=pl.when("a_found").then("company_a").when("b_found").then("company_b")
                       .when("c_found").then("company_c").when("d_found").then("company_d"))
    # The type of the first subject of that name in the article.
    types = subjects.sort("order").group_by("article", "company", maintain_order=True).agg(
        pl.col("company_type").first())
    q = _attach(q, types, ["article", "company"])
    return q.drop("a_found", "b_found", "c_found", "d_found", "company_a", "company_b", "company_c", "company_d")


def _place(q: pl.DataFrame, articles: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """The place nearest the number; else 全国 / 全省 / 全市 in the list item, the place of the
    previous sentence or the article's focus.

    杭州市农业农村局: a place that names a government body is who acts, not what a figure
    describes. A brand's or a maker's figure is about the company: a place elsewhere in the
    sentence is background (中山两家上市公司……华帝股份营收比降48%). A platform's figure keeps the
    place where it happened (拼多多为横栏10余家企业……). Places after the number's clause are
    destinations and asides (……南下义乌), not what the figure describes."""
    ordered = regions.sort("article", "start", "order").with_columns(order=pl.int_range(pl.len()))
    with_text = ordered.join(articles.select("article", "text"), on="article", how="left", maintain_order="left")
    government = with_text.select(_slice(pl.col("end"), pl.col("end") + 9).str.contains(GOVERNMENT_AFTER)).to_series()
    local = ordered.filter(~government)
    brand = pl.col("company").is_not_null() & (pl.col("company_type") != "platform").fill_null(True)
    q = _lookups(q, local, ["start", "end", "cs", "ce", "ss"], {
        "a": (_last_ending(pl.col("cs"), pl.col("start")), {"region_a": "item_region", "code_a": "item_code"}),
        "b": (_first_starting(pl.col("end"), pl.col("ce")), {"region_b": "item_region", "code_b": "item_code"}),
        "c": (_last_ending(pl.col("ss"), pl.col("cs")), {"region_c": "item_region", "code_c": "item_code"}),
    })
    c_found = pl.col("c_found") & ~brand
    q = q.with_columns(
        region=pl.when("a_found").then("region_a").when("b_found").then("region_b").when(c_found).then("region_c"),
        region_code=pl.when("a_found").then("code_a").when("b_found").then("code_b").when(c_found).then("code_c"),
    )
    # The first code given to a place of that name in the article.
    codes = (ordered.filter(pl.col("code").is_not_null() & (pl.col("code") != ""))
             .group_by("article", "region", maintain_order=True).agg(pl.col("code").first().alias("named_code")))
    q = _attach(q, codes, ["article", "region"])
    q = q.with_columns(region_code=pl.when(_given("region") & ~_given("region_code"))
                       .then("named_code").otherwise("region_code")).drop("named_code")

    # No place near the number, and no brand's figure: the sentence's scope or what carries over
    # (古镇镇 …… “观看人次达到了10万以上”), else the place the article is about.
    carried = _lookups(q.select("q", "article", "si", "prev_start", "ss"),
                       ordered.filter(pl.col("level") != "country"), ["prev_start", "ss"],
                       {"carried": ((_inside(pl.col("prev_start"), pl.col("ss")), [-pl.col("item_end"), pl.col("item_order")]),
                                    {"carried_region": "item_region"})}, previous=True)
    q = _attach(q, carried.select("q", "carried_region", "carried_found"), "q")
    sentence = _local(pl.col("ss"), pl.col("se"))
    open_region = pl.col("region").is_null() & ~brand
    scope = (pl.when(sentence.str.contains(rules.NATIONAL.pattern)).then(pl.lit("中国"))
             .when(sentence.str.contains(rules.PROVINCE_WIDE.pattern) & _given("focus_province")).then("focus_province")
             .when(sentence.str.contains(rules.CITY_WIDE.pattern) & _given("focus_city")).then("focus_city")
             .when(pl.col("company").is_null() & ~sentence.str.contains(rules.PERSONAL.pattern))
             .then(pl.when("carried_found").then("carried_region").otherwise("focus")))
    q = q.with_columns(region=pl.when(open_region).then(scope).otherwise("region"), open_region=open_region)
    q = _attach(q, codes, ["article", "region"])
    q = q.with_columns(region_code=pl.when(~pl.col("open_region")).then("region_code")
                       .when(pl.col("region") == "中国").then(pl.lit("100000")).otherwise("named_code"))
    return q.drop("a_found", "b_found", "c_found", "region_a", "region_b", "region_c", "code_a", "code_b", "code_c",
                  "carried_region", "carried_found", "named_code", "open_region")


def _period(q: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """The period nearest before the number in its list item. 较去年增长20%: the year compared
    against is not the figure's period, unless the figure is that year's own (较2024年的3933.45亿元).
    Without one, the last period of the previous sentence carries over (这一年, 当天), if it is a
    month or a day: a bare year two sentences on is background."""
    ordered = periods.sort("article", "start", "order").with_columns(order=pl.int_range(pl.len()))
    pairs = _pairs(q, ordered, ["start", "ss", "local"])
    compared = (_local(pl.max_horizontal("ss", pl.col("item_start") - 3), pl.col("item_start"))
                .str.contains(rules.COMPARISON_BASE.pattern)
                & ~_local(pl.col("item_end"), pl.col("start")).is_in(["", "的"]))
    nearest = _best(pairs, _inside(pl.col("ss"), pl.col("start")) & ~compared,
                    [-pl.col("item_end"), pl.col("item_order")], {"period_a": "item_period", "a_found": "item_order"})
    carried = _best(_pairs(q, ordered, ["prev_start", "ss"], previous=True), _inside(pl.col("prev_start"), pl.col("ss")),
                    [-pl.col("item_end"), pl.col("item_order")], {"period_b": "item_period"})
    q = _attach(_attach(q, nearest, "q"), carried, "q")
    carries = (pl.col("period_b").str.len_chars() > 4) & ~pl.col("period_b").str.contains("Q", literal=True)
    q = q.with_columns(period=pl.when(pl.col("a_found").is_not_null()).then("period_a")
                       .when(carries.fill_null(False)).then("period_b"))
    return q.drop("period_a", "a_found", "period_b")
