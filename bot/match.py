"""Matching what a person typed to what the bot offers: commands, options, keywords, places.
Exact first (after folding case and accents), then rapidfuzz's ratio per word above one cutoff; for
Chinese and Arabic, where letter-level scores mislead, exact then prefix matching."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import TypeVar

from rapidfuzz import fuzz, process

V = TypeVar("V")  # what a phrase in a lookup table stands for

# A word must score at least this (0-100, rapidfuzz ratio) against a known word to count as it.
# 80 lets "derechoz" find "derechos" and "hospitl" find "hospital", but keeps "car" from "card".
FUZZY_CUTOFF = 80
# Words shorter than this carry too little to be guessed at ("a", "el", "my").
MIN_FUZZY_LENGTH = 3
MAX_INPUT_CHARS = 1600

_FULLWIDTH_DIGITS = {0xFF10 + d: str(d) for d in range(10)}  # phones in CJK locales type these


def clean(text: str | None) -> str:
    """The text with control and format characters gone, capped at one long SMS."""
    text = (text or "")[:MAX_INPUT_CHARS]
    return "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text).strip()


def normalize(text: str | None) -> str:
    """Lower case, no accents, letters and digits only, single spaces: how every match compares text.

    NFD (not NFKD) keeps look-alikes such as '²' from turning into the digit 2."""
    return _letters_and_digits(text, keep_marks=False)


def _letters_and_digits(text: str | None, keep_marks: bool) -> str:
    """Lower case, letters and digits only, single spaces; accents and tones kept only if `keep_marks`. The words
    come out the same, one for one, either way (a mark never stands between two words)."""
    decomposed = unicodedata.normalize("NFD", clean(text).translate(_FULLWIDTH_DIGITS))
    kept = []
    for ch in decomposed:
        if unicodedata.category(ch) == "Mn":
            if keep_marks:
                kept.append(ch)
            continue
        kept.append(ch if ch.isalnum() else " ")
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).casefold().split())


def marked_form(text: str | None) -> str:
    """`command_form` with its accents and tones kept: the same words, one for one, for telling the Vietnamese
    "nhà" (home) from the "nha" that ends a friendly sentence, in a message typed with its tones."""
    return _letters_and_digits(_as_commands_are_typed(text), keep_marks=True)


# Letters and tone marks only Vietnamese uses among the line's languages (NFD: the marks stand apart).
_VIETNAMESE_MARKS = frozenset("ăâêôơư\u0309\u0323")  # not "đ", which survives `normalize`


def typed_with_tones(text: str) -> bool:
    """Whether a message was typed with Vietnamese letters or tones: then its tones mean what they say."""
    return any(ch in _VIETNAMESE_MARKS for ch in unicodedata.normalize("NFD", text.casefold()))


def command_form(text: str | None) -> str:
    """Text as command words and phrases are compared: NFKC first, so full-width ＳＴＯＰ is STOP (unlike
    `normalize`, which keeps '²' from becoming a digit in menu choices), apostrophes dropped, then as
    `normalize`."""
    return normalize(_as_commands_are_typed(text))


def _as_commands_are_typed(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", clean(text))
    return text.replace("'", "").replace("\u2019", "")  # "don't" is typed "dont" as often


def is_han(text: str) -> bool:
    """Written in Chinese characters, where words have no spaces between them."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def holds_phrase(words: str, phrase: str) -> bool:
    """`phrase` in `words` (both in command form): word for word and in order, nothing between; in Chinese,
    character for character, since nothing marks where its words end. (Letting a word or two in between
    caught a few more opt-outs and also "xóa hồ sơ của tôi", which strips to "xóa số của tôi".)"""
    if is_han(phrase):
        return phrase.replace(" ", "") in words.replace(" ", "")
    return f" {phrase} " in f" {words} "


def _significant(words: Iterable[str]) -> list[str]:
    return [w for w in words if len(w) >= MIN_FUZZY_LENGTH and not w.isdigit()]


def _script(text: str) -> str:
    """"han" or "arabic" when the text is written in a script where letter-level fuzzy scores mislead:
    Chinese has no spaces between words and one character is a whole word; Arabic joins articles and
    prepositions to its words. Otherwise "latin"."""
    for ch in text:
        code = ord(ch)
        if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
            return "han"
        if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F:
            return "arabic"
    return "latin"


def _arabic_stem(word: str) -> str:
    """An Arabic word without its article and the conjunction or preposition before it (و، ب، ل، ف)."""
    for prefix in ("وال", "بال", "لل", "فال", "ال"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix):]
    return word


def prefix_pick(text: str, candidates: Mapping[str, object]):
    """For Chinese and Arabic: the one value whose phrase holds what was typed, or is held by it, at a
    word's start (Chinese: anywhere, as it has no spaces); None when none or several do."""
    typed = normalize(text)
    if len(typed) < 2:
        return None
    found = set()
    for phrase, value in candidates.items():
        if _script(typed) == "han":
            if typed in phrase or (len(phrase) >= 2 and phrase in typed):
                found.add(value)
            continue
        words = [_arabic_stem(w) for w in phrase.split()]
        wanted = [_arabic_stem(w) for w in typed.split() if len(_arabic_stem(w)) >= 2]
        if wanted and all(any(w.startswith(t) or t.startswith(w) for w in words if len(w) >= 2) for t in wanted):
            found.add(value)
    return found.pop() if len(found) == 1 else None


_DISTINCTIVE: dict[int, tuple] = {}


def _distinctive(candidates: Mapping[str, object]) -> tuple[list[str], list[object]]:
    """The words that belong to one value only, and their values, worked out once per pool (the pools
    live as long as the app; a pool made on the fly is simply worked out again)."""
    cached = _DISTINCTIVE.get(id(candidates))
    if cached is not None and cached[0] is candidates:
        return cached[1], cached[2]
    owners: dict[str, set] = {}
    for phrase, value in candidates.items():
        for word in set(_significant(phrase.split())):
            owners.setdefault(word, set()).add(value)
    distinct = [(word, next(iter(values))) for word, values in owners.items() if len(values) == 1]
    words, values = [w for w, _ in distinct], [v for _, v in distinct]
    if len(_DISTINCTIVE) > 10_000:
        _DISTINCTIVE.clear()
    _DISTINCTIVE[id(candidates)] = (candidates, words, values)
    return words, values


def fuzzy_pick(text: str, candidates: Mapping[str, object], cutoff: int = FUZZY_CUTOFF,
               ignore: frozenset[str] = frozenset()):
    """The value whose phrase best matches a word of `text`, or None if none does or two tie.

    `candidates` maps a normalized phrase to what it stands for. A phrase counts by its
    distinctive words (those no other value's phrases share), so "door" picks "At your door"
    while the "your" that every label has decides nothing. Words in `ignore` (a language's common words:
    "esta", "you") are never guessed from: "la migra esta aqui" must not pick "Sobre esta línea"."""
    if _script(text) != "latin":
        return prefix_pick(text, candidates)
    typed = [word for word in _significant(normalize(text).split()) if word not in ignore]
    if not typed or not candidates:
        return None
    words, owners = _distinctive(candidates)
    scores: dict[object, float] = {}
    for word in typed:  # one pass in C over every distinctive word for each word typed
        for _match, score, index in process.extract(word, words, scorer=fuzz.ratio, score_cutoff=cutoff,
                                                    limit=None):
            value = owners[index]
            scores[value] = max(scores.get(value, 0.0), score)
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return None  # two things fit equally: asking again beats guessing
    return ranked[0][0]


def index(phrases: Iterable[tuple[str, V]]) -> dict[str, V]:
    """A lookup table from normalized phrase to value; the first phrase given wins a clash."""
    table: dict[str, V] = {}
    for phrase, value in phrases:
        key = normalize(phrase)
        if key:
            table.setdefault(key, value)
    return table
