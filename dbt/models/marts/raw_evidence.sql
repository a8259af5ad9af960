-- Each observation beside the raw characters it came from: the original file's text at the
-- raw offsets kept through cleaning (Traditional script, mojibake and all).
select
    o.source_file,
    o.article_seq,
    o.char_start,
    o.span,
    substr(d.raw_text, o.raw_char_start + 1, o.raw_char_end - o.raw_char_start) as raw_span,
    o.evidence,
    o.raw_char_start,
    o.raw_char_end
from {{ ref('int_live_observations') }} o
join {{ source('staging', 'raw_documents') }} d on d.source_file = o.source_file and d.is_current
