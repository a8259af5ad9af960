"""Repair GBK frame-shift mojibake runs such as ``?!毙∥逄寡?`` (for ``。”小五坦言``).

Such a run is GBK text whose first byte was lost: every later byte pairs with the wrong
neighbour and decodes to rare characters, and the lost byte shows as ``?``. Re-encoding the
garbled characters as GBK and putting a lead byte back in front restores the original pairs.
The lead byte itself is unknown, so every candidate is tried and the decode that reads most
like Chinese text wins. A character whose bytes are gone is written as U+FFFD and counted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from dagster_project.parsing.reference import UNKNOWN_CHAR_LOG_FREQ, char_log_freq

LOST = "\ufffd"
MAX_RUN = 40
MIN_GAIN_PER_CHAR = 1.0  # mean log10 frequency: the repair must read far more like Chinese
RUN_START = re.compile(r"\?(?=[^\s?])")


@dataclass(frozen=True)
class Repair:
    start: int  # offsets into the text before repair
    end: int
    garbled: str
    repaired: str
    lost_chars: int


def _to_gbk_bytes(run: str) -> bytes | None:
    out = bytearray()
    for ch in run:
        code = ord(ch)
        if 0x21 <= code < 0x40:  # NFKC folded a full-width symbol: restore it (！ -> a3a1)
            ch = chr(code + 0xFEE0)
        elif code < 0x21:
            return None
        try:
            out += ch.encode("gbk")
        except UnicodeEncodeError:
            return None
    return bytes(out)


def _score(text: str) -> float:
    freq = char_log_freq()
    return sum(freq.get(c, UNKNOWN_CHAR_LOG_FREQ) for c in text)


def _best_shifted_decode(payload: bytes) -> tuple[str, int] | None:
    """Decode lead byte + payload; return the most plausible text and its count of lost chars."""
    best: tuple[float, str, int] | None = None
    for lead in range(0x81, 0xFF):
        data = bytes([lead]) + payload
        lost = 0
        if len(data) % 2 == 1 and data[-1] >= 0x81:
            data, lost = data[:-1], 1
        try:
            text = data.decode("gbk")
        except UnicodeDecodeError:
            continue
        s = _score(text)
        if best is None or s > best[0]:
            best = (s, text, lost)
    return (best[1], best[2]) if best else None


def find_repairs(text: str) -> list[Repair]:
    """Every frame-shift run in ``text``; ordinary question marks are left alone.

    A run ends where the byte frames line up again: at a single-byte character that completes
    the last pair, or at a ``?`` that stands for the lost partner of a dangling lead byte.
    """
    repairs: list[Repair] = []
    pos = 0
    while m := RUN_START.search(text, pos):
        start = m.start()
        found = None
        for length in range(1, MAX_RUN + 1):
            end = start + 1 + length
            if end > len(text) or text[end - 1] == "?" or text[end - 1].isspace():
                break
            run = text[start + 1:end]
            payload = _to_gbk_bytes(run)
            if payload is None:
                break
            decoded = _best_shifted_decode(payload)
            if decoded is None:
                continue
            repaired, lost = decoded
            trailing_lost = end < len(text) and text[end] == "?"
            if bool(lost) == trailing_lost and "?" not in repaired:
                found = (run, end + lost, repaired + LOST * lost, lost)
                break
        if found and _mean(found[2].replace(LOST, "")) - _garbled_mean(text, start + 1, found[1]) >= MIN_GAIN_PER_CHAR:
            run, end, repaired, lost = found
            repairs.append(Repair(start, end, text[start:end], repaired, lost))
            pos = end
        else:
            pos = start + 1
    return repairs


def _garbled_mean(text: str, start: int, end: int) -> float:
    """Mean log frequency of a suspect run; a lone Latin letter between two CJK characters
    (``边b望``) is a stray trail byte, not text, and scores as unknown."""
    freq = char_log_freq()
    total = 0.0
    for i in range(start, end):
        ch = text[i]
        sandwiched = ch.isascii() and ch.isalpha() and 0 < i < len(text) - 1 \
            and not text[i - 1].isascii() and not text[i + 1].isascii()
        total += UNKNOWN_CHAR_LOG_FREQ if sandwiched else freq.get(ch, UNKNOWN_CHAR_LOG_FREQ)
    return total / max(1, end - start)


def _mean(text: str) -> float:
    return _score(text) / len(text) if text else UNKNOWN_CHAR_LOG_FREQ


def repair_text(text: str) -> tuple[str, list[Repair]]:
    repairs = find_repairs(text)
    out, last = [], 0
    for r in repairs:
        out += [text[last:r.start], r.repaired]
        last = r.end
    out.append(text[last:])
    return "".join(out), repairs
