"""Markdown tables for asset metadata previews."""
from __future__ import annotations

from typing import Iterable, Sequence


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence], max_cell: int = 60) -> str:
    header = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    body = "".join("| " + " | ".join(str(v).replace("|", "/").replace("\n", " ")[:max_cell] for v in row) + " |\n"
                   for row in rows)
    return header + body
