"""How many SMS segments a text costs, by the GSM 03.38 rules carriers bill by.
One character outside GSM-7 turns the whole message into UCS-2: 70 a segment, 67 when split."""

from __future__ import annotations

# GSM 03.38 basic character set (each one septet).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (an escape, then the character).
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7 = GSM7_BASIC | GSM7_EXTENSION

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm7(text: str) -> bool:
    return GSM7.issuperset(text)  # one pass in C: it runs on every reply, several times when paging


def encoding(text: str) -> str:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _gsm7_units(text: str) -> list[int]:
    return [2 if ch in GSM7_EXTENSION else 1 for ch in text]


def _ucs2_units(text: str) -> list[int]:
    # Characters beyond the Basic Multilingual Plane (most emoji) take a surrogate pair: two units.
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _split(units: list[int], per_part: int) -> int:
    """Segments needed when no character may be cut across two segments."""
    parts, used = 1, 0
    for size in units:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts


def count(text: str) -> int:
    """The number of segments `text` is billed as (an empty text still costs one)."""
    if len(text) <= UCS2_SINGLE and not any(ord(ch) > 0xFFFF for ch in text):
        return 1  # fits one segment in either encoding
    if is_gsm7(text):
        units, single, part = _gsm7_units(text), GSM7_SINGLE, GSM7_PART
    else:
        units, single, part = _ucs2_units(text), UCS2_SINGLE, UCS2_PART
    if sum(units) <= single:
        return 1
    return _split(units, part)


def describe(text: str) -> str:
    segments = count(text)
    return f"{segments} segment{'s' if segments != 1 else ''}, {encoding(text)}, {len(text)} characters"
