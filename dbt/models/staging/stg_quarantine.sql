select source_file, size_bytes, content_hash, reason, detected_at
from {{ source('staging', 'quarantine') }}
