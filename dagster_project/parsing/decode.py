"""Bytes -> text: detect the encoding of a raw news file, or say why it cannot be read."""
from __future__ import annotations

import re
from dataclasses import dataclass

from dagster_project.parsing.reference import text_log_score

CJK = re.compile(r"[\u4e00-\u9fff]")
BINARY_MAGIC = {
    b"%PDF": "binary file (PDF)",
    b"\x89PNG": "binary file (PNG image)",
    b"\xff\xd8\xff": "binary file (JPEG image)",
    b"GIF8": "binary file (GIF image)",
    b"PK\x03\x04": "binary file (ZIP archive or Office document)",
    b"\x7fELF": "binary file (executable)",
}
# Tried in this order when there is no BOM; the best-scoring strict decode wins.
CANDIDATE_ENCODINGS = ("utf-8", "gb18030", "big5")


@dataclass(frozen=True)
class Decoded:
    text: str | None
    encoding: str | None
    reason: str | None  # why the file is quarantined, when text is None


def _utf16_without_bom(data: bytes) -> str | None:
    if len(data) < 4 or len(data) % 2:
        return None
    even_nuls = data[0::2].count(0) / (len(data) / 2)
    odd_nuls = data[1::2].count(0) / (len(data) / 2)
    # CJK code units rarely hold a zero byte, ASCII ones always do: look for either pattern.
    for enc, ok in (("utf-16-le", odd_nuls > 0.2 or _mostly_cjk_utf16(data, "utf-16-le")),
                    ("utf-16-be", even_nuls > 0.2 or _mostly_cjk_utf16(data, "utf-16-be"))):
        if ok:
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                continue
    return None


def _mostly_cjk_utf16(data: bytes, enc: str) -> bool:
    try:
        text = data.decode(enc)
    except UnicodeDecodeError:
        return False
    return len(CJK.findall(text)) > 0.5 * len(text)


def decode_bytes(data: bytes) -> Decoded:
    if not data.strip():
        return Decoded(None, None, "empty file")
    for magic, reason in BINARY_MAGIC.items():
        if data.startswith(magic):
            return Decoded(None, None, reason)
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16")
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is not None:
            return _accept(text, "utf-16")
        return Decoded(None, None, "binary file (NUL bytes, not UTF-16 text)")
    best: tuple[float, str, str] | None = None
    for enc in CANDIDATE_ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc == "utf-8":  # strict UTF-8 of a non-ASCII file is never an accident
            return _accept(text, enc)
        score = text_log_score("".join(CJK.findall(text)) or text)
        if best is None or score > best[0]:
            best = (score, text, enc)
    if best is None:
        return Decoded(None, None, "undecodable: not UTF-8, UTF-16, GB18030/GBK or Big5")
    return _accept(best[1], best[2])


def _strict(data: bytes, enc: str) -> Decoded:
    try:
        return _accept(data.decode(enc), enc)
    except UnicodeDecodeError as exc:
        return Decoded(None, None, f"undecodable: declared {enc} by its BOM but {exc.reason} at byte {exc.start}")


def _accept(text: str, enc: str) -> Decoded:
    if not CJK.search(text):
        return Decoded(None, enc, "no Chinese text")
    return Decoded(text, enc, None)
