-- Each observation beside the raw characters it came from: the original file's text at the
-- raw offsets kept through cleaning (Traditional script, mojibake and all).
{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ delete_changed_files() }}") }}
-- Both sides are cut to the changed files before the join: otherwise the join reads every raw text.
with observations as (
    select * from {{ ref('int_live_observations') }}
    where {{ in_changed_files('source_file') }}
),
documents as (
    select source_file, raw_text, encoding from {{ source('staging', 'raw_documents') }}
    where is_current and {{ in_changed_files('source_file') }}
)
select
    o.source_file,
    o.article_seq,
    o.char_start,
    o.span,
    substr(d.raw_text, o.raw_char_start + 1, o.raw_char_end - o.raw_char_start) as raw_span,
    -- The raw text around the span: the published file does not hold the raw files themselves.
    substr(d.raw_text, greatest(o.raw_char_start - 60, 0) + 1, o.raw_char_start - greatest(o.raw_char_start - 60, 0)) as raw_before,
    substr(d.raw_text, o.raw_char_end + 1, 60) as raw_after,
    d.encoding,
    o.evidence,
    o.raw_char_start,
    o.raw_char_end
from observations o
join documents d using (source_file)
