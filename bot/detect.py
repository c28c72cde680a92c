"""Which language a message is written in, from the message alone: a first text from a new number is answered
in its own language, not with a language menu.

Tried in this order, each cheaper and surer than the next:
1. The script: Chinese characters are Chinese (Traditional too); Arabic letters are Arabic, unless the letters
   only Persian and Urdu use are there (Dari, Farsi); another script (Cyrillic, Korean...) is a language the
   line does not speak.
2. Vietnamese letters (đ, ơ, ư, ạ, ả...) are Vietnamese.
3. The words: each language's common words and the flows' own keywords, commands and greetings vote. Unaccented
   Vietnamese ("toi can luat su") and Spanglish are found here, where general detectors fail on short texts.
4. For a longer text in Latin letters that few of those words explain: lingua (made for short texts, its small
   models only, loaded once per process on first use), to tell a language the line does not speak, such as
   Portuguese, from one it does.

Measured on residents' texts: lingua alone, with its large models, took 110 MB more per process and misread
unaccented Vietnamese, "ok" and "cảm ơn"; its small models misread most texts under five words. So it only ever
decides whether a text is in another language."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from bot import match

PERSIAN_LETTERS = frozenset("پچژگکیۀےٹڈڑں")  # letters Arabic does not use: Dari, Farsi, Urdu, Pashto
VIETNAMESE_MARKS = frozenset("\u0323\u0309\u031b\u0306")  # dot below, hook above, horn, breve
SURE_VOTES = 2.0  # this many words that belong to one language more than to any other
OTHER_CONFIDENCE = 0.9  # lingua's confidence that a text is in a language the line does not speak
MIN_WORDS_FOR_LINGUA = 3


@dataclass(frozen=True)
class Guess:
    lang: str | None = None  # a language the line speaks
    sure: bool = False
    other: bool = False  # written in a language the line does not speak


@dataclass(frozen=True)
class LanguageGuesser:
    words: dict[str, frozenset[str]]  # language -> words in command form that belong to it
    enabled: tuple[str, ...]

    def guess(self, text: str) -> Guess:
        script = _script(text)
        if script == "han":
            return self._spoken("zh_Hans")
        if script == "arabic":
            return Guess(other=True) if any(ch in PERSIAN_LETTERS for ch in text) else self._spoken("ar")
        if script == "other":
            return Guess(other=True)
        if any(mark in VIETNAMESE_MARKS or ch in "đĐ" for ch in text for mark in unicodedata.normalize("NFD", ch)):
            return self._spoken("vi")
        tokens = match.command_form(text).split()
        votes: dict[str, float] = {}
        known = 0
        for token in tokens:
            owners = [lang for lang in self.enabled if token in self.words.get(lang, ())]
            if owners:
                known += 1
            if 0 < len(owners) < len(self.enabled):
                for lang in owners:
                    votes[lang] = votes.get(lang, 0.0) + 1 / len(owners)
        if len(tokens) >= MIN_WORDS_FOR_LINGUA and known < len(tokens) / 2 and _in_another_language(text):
            return Guess(other=True)
        if not votes:
            return Guess()
        ranked = sorted(votes.items(), key=lambda item: -item[1])
        best, score = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if score == second:
            return Guess()
        return Guess(best, sure=score - second >= SURE_VOTES or (second == 0 and score >= 1))

    def _spoken(self, lang: str) -> Guess:
        return Guess(lang, sure=True) if lang in self.enabled else Guess(other=True)


def _script(text: str) -> str:
    """"han", "arabic", "latin", or "other" for the first letter of another script; "latin" if no letters."""
    for ch in text:
        if not ch.isalpha():
            continue
        if match.is_han(ch):
            return "han"
        name = unicodedata.name(ch, "")
        if name.startswith("ARABIC"):
            return "arabic"
        if not name.startswith("LATIN"):
            return "other"
    return "latin"


@cache
def _detector():
    """lingua's small models for the languages in Latin letters most likely here, built once per process."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.ENGLISH, Language.SPANISH, Language.VIETNAMESE, Language.PORTUGUESE, Language.FRENCH,
        Language.TAGALOG, Language.ITALIAN, Language.GERMAN,
    ).with_low_accuracy_mode().with_preloaded_language_models().build()


SPOKEN_BY_LINGUA = ("ENGLISH", "SPANISH", "VIETNAMESE")


def _in_another_language(text: str) -> bool:
    values = _detector().compute_language_confidence_values(text)
    top = values[0] if values else None
    return top is not None and top.value >= OTHER_CONFIDENCE and top.language.name not in SPOKEN_BY_LINGUA
