"""Pandera (polars) models of the staging tables: the contract dbt's sources rely on."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

UNITS = ["CNY", "USD", "EUR", "HKD", "JPY", "GBP", "KRW", "percent", "count", "sqm", "mu", "times"]
QUALIFIERS = ["exact", "at_least", "approx", "at_most", "range"]
STATUSES = ["actual", "forecast", "target"]
METRICS = ["gmv", "online_retail_sales", "revenue", "net_profit", "output_value", "investment", "price",
           "live_sessions", "live_rooms", "viewers", "entities", "people", "followers", "orders", "items",
           "parcels", "training", "area", "growth_rate", "share", "users", "other"]


class RawDocuments(pa.DataFrameModel):
    source_file: pl.String
    size_bytes: pl.Int64 = pa.Field(gt=0)
    content_hash: pl.String = pa.Field(str_matches=r"^[0-9a-f]{64}$")
    encoding: pl.String
    raw_text: pl.String = pa.Field(str_length={"min_value": 1})
    is_current: pl.Boolean

    class Config:
        strict = False

    @pa.dataframe_check
    def one_current_version_per_file(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            ~(pl.col("is_current") & pl.col("source_file").is_duplicated().over(pl.col("is_current"))))


class Quarantine(pa.DataFrameModel):
    source_file: pl.String
    reason: pl.String = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = False


class Articles(pa.DataFrameModel):
    source_file: pl.String
    article_seq: pl.Int32 = pa.Field(ge=1)
    is_live_commerce: pl.Boolean
    live_commerce_score: pl.Float64 = pa.Field(ge=0)
    clean_text: pl.String = pa.Field(str_length={"min_value": 1})
    mojibake_lost_chars: pl.Int32 = pa.Field(ge=0)

    class Config:
        strict = False
        unique = ["source_file", "article_seq"]


class Sentences(pa.DataFrameModel):
    source_file: pl.String
    article_seq: pl.Int32 = pa.Field(ge=1)
    sentence_seq: pl.Int32 = pa.Field(ge=1)
    char_start: pl.Int64 = pa.Field(ge=0)
    char_end: pl.Int64 = pa.Field(ge=0)
    text: pl.String

    class Config:
        strict = False
        unique = ["source_file", "article_seq", "sentence_seq"]

    @pa.dataframe_check
    def offsets_ordered(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("char_end") > pl.col("char_start"))


class MetricObservations(pa.DataFrameModel):
    source_file: pl.String
    article_seq: pl.Int32 = pa.Field(ge=1)
    span: pl.String = pa.Field(str_length={"min_value": 1})
    value: pl.Float64
    value_high: pl.Float64 = pa.Field(nullable=True)
    unit: pl.String = pa.Field(isin=UNITS)
    metric: pl.String = pa.Field(isin=METRICS)
    qualifier: pl.String = pa.Field(isin=QUALIFIERS)
    status: pl.String = pa.Field(isin=STATUSES)
    char_start: pl.Int64 = pa.Field(ge=0)
    char_end: pl.Int64 = pa.Field(ge=0)

    class Config:
        strict = False

    @pa.dataframe_check
    def range_ordered(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("value_high").is_null() | (pl.col("value") <= pl.col("value_high")))

    @pa.dataframe_check
    def span_has_length(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("char_end") > pl.col("char_start"))


class EntityMentions(pa.DataFrameModel):
    source_file: pl.String
    article_seq: pl.Int32 = pa.Field(ge=1)
    kind: pl.String = pa.Field(isin=["region", "company", "person"])
    name: pl.String = pa.Field(str_length={"min_value": 1})
    char_start: pl.Int64 = pa.Field(ge=0)
    char_end: pl.Int64 = pa.Field(ge=0)

    class Config:
        strict = False

    @pa.dataframe_check
    def span_has_length(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("char_end") > pl.col("char_start"))


class AdminDivisions(pa.DataFrameModel):
    code: pl.String = pa.Field(unique=True, str_matches=r"^\d{6,9}$")
    name: pl.String
    level: pl.String = pa.Field(isin=["province", "prefecture", "county", "town"])

    class Config:
        strict = False


STAGING_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "raw_documents": RawDocuments,
    "quarantine": Quarantine,
    "articles": Articles,
    "sentences": Sentences,
    "metric_observations": MetricObservations,
    "entity_mentions": EntityMentions,
    "admin_divisions": AdminDivisions,
}
