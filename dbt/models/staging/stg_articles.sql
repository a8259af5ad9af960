select
    source_file,
    article_seq,
    content_hash,
    title,
    publisher,
    published_date,
    authors,
    is_live_commerce,
    live_commerce_score,
    clean_text,
    raw_char_start,
    raw_char_end,
    offset_map,
    mojibake_repairs,
    mojibake_lost_chars,
    removed_lines
from {{ source('staging', 'articles') }}
