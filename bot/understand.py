"""Understanding a person's own words: what a message asks for (a script, a page, a kind of place) and which
language it is written in. Pure; built once per process from the flows (each node's and place's keywords, each
language's common words) and kept in the Vocabulary.

A message is read as words (Chinese as characters) after folding case and accents. Each keyword that stands in
it, word for word and in order, is evidence for what it belongs to, weighed by its length; longer keywords claim
their words first, so "traffic stop" is not also read as "stop". A word that no keyword holds may still be a
misspelling of one ("hosptial"); the common words of a language ("the", "esta", "you") never count. A message
that matches nothing specific may still match a menu ("la migra" alone: the rights menu)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot import match

WILDCARD = "*"  # a keyword ending in * matches any word that starts with it: "detenid*" for detenido, detenida
GAP = "..."  # a keyword "bị ... bắt" lets a few words stand between its parts: "bị ICE bắt", "被移民局抓"
MAX_GAP_WORDS = 2  # how many words a gap may hold
MAX_GAP_HAN = 4  # in Chinese, how many characters
MIN_STEM = 3  # a wildcard keyword needs at least this many letters before the *
FUZZY_CUTOFF = 86  # rapidfuzz ratio: "hosptial" (87.5) and "libary" (92.3) count, "cart" for "card" (75) does not
MIN_FUZZY_WORD = 5  # shorter words are too easily one letter from another word
FUZZY_WEIGHT = 0.8  # a guessed word counts a little less than a word spelt right
CLOSE = 0.75  # a runner-up this close to the best (as a share of its score) makes the message ambiguous
MAX_CHOICES = 3  # a clarifying question offers at most this many
NAMED_WEIGHT = 1.0  # what naming a kind of place, or events, adds to a keyword's weight
SUPPORT = 0.5  # evidence for a menu counts this much towards each thing under it (a place's menu, a script's)
ASKED = 1.5  # in a story with a question in it, words of the question weigh this much more than the story's
_SENTENCE = re.compile(r"[^.!?。！？؟\n]+[.!?。！？؟\n]*")
_QUESTION_MARKS = frozenset("?？؟")


@dataclass(frozen=True)
class Meaning:
    """Something a message can ask for: a node of the flows, or a kind of place."""

    kind: str  # "node" or "place"
    target: str  # node id or place id


@dataclass(frozen=True)
class Keyword:
    words: tuple[str, ...]  # in command form, GAP where a few words may stand; Chinese: strings of characters
    meaning: Meaning
    wildcard: bool = False  # the last word is a stem
    size: int = 1  # how many words (Chinese: characters) it has, not counting its gaps
    marked: tuple[str, ...] = ()  # its words with their accents and tones, when it has any (GAP kept in place)


Span = tuple[float, tuple[int, ...], Keyword]  # a keyword found in a message: its weight and the places it holds


@dataclass(frozen=True)
class Reading:
    """What a message was understood to ask for: the specific meanings it supports, best first, each with
    its score, and the menus it supports when it supports nothing more specific."""

    ranked: tuple[tuple[Meaning, float], ...] = ()
    menus: tuple[Meaning, ...] = ()

    @property
    def sure(self) -> Meaning | None:
        """The one meaning the message asks for, when no other comes close."""
        if not self.ranked:
            return None
        if len(self.ranked) > 1 and self.ranked[1][1] >= self.ranked[0][1] * CLOSE:
            return None
        return self.ranked[0][0]

    @property
    def close(self) -> tuple[Meaning, ...]:
        """The meanings close enough to the best to be asked about (at most MAX_CHOICES): empty if too many are."""
        if not self.ranked:
            return ()
        best = self.ranked[0][1]
        near = tuple(meaning for meaning, score in self.ranked if score >= best * CLOSE)
        return near if len(near) <= MAX_CHOICES else ()


@dataclass
class Understanding:
    """Every keyword of every language, indexed so a message is checked only against what its words can start."""

    by_first_word: dict[str, list[Keyword]] = field(default_factory=dict)
    by_stem: dict[str, list[Keyword]] = field(default_factory=dict)  # wildcard keywords, by their first letters
    han: list[Keyword] = field(default_factory=list)
    guessable: dict[str, list[Meaning]] = field(default_factory=dict)  # single words a misspelling may be
    guess_pool: tuple[str, ...] = ()  # the same words as one sequence, for rapidfuzz, made once
    common: frozenset[str] = frozenset()  # words that never decide anything, in every language
    parents: dict[Meaning, Meaning] = field(default_factory=dict)  # a script's menu, a place's menu
    menus: frozenset[Meaning] = frozenset()  # meanings that are menus: chosen only when nothing specific is
    named: frozenset[Meaning] = frozenset()  # things a message names, not only tells of: a kind of place, events
    gatherings: frozenset[Meaning] = frozenset()  # events: a place named beside one may be where it is held

    @classmethod
    def build(cls, keywords: Iterable[tuple[str, Meaning]], common: Iterable[str],
              parents: dict[Meaning, Meaning], menus: Iterable[Meaning], named: Iterable[Meaning] = (),
              gatherings: Iterable[Meaning] = ()) -> Understanding:
        understanding = cls(common=frozenset(match.command_form(word) for word in common), parents=parents,
                            menus=frozenset(menus), named=frozenset(named), gatherings=frozenset(gatherings))
        for phrase, meaning in keywords:
            understanding._add(phrase, meaning)
        understanding.guess_pool = tuple(understanding.guessable)
        return understanding

    def _add(self, phrase: str, meaning: Meaning) -> None:
        wildcard = phrase.rstrip().endswith(WILDCARD)
        written = phrase.rstrip().rstrip(WILDCARD).replace("\u2026", GAP).split(GAP)
        parts = [match.command_form(part) for part in written]
        if not all(parts):
            return
        if match.is_han("".join(parts)):
            characters = [part.replace(" ", "") for part in parts]
            self.han.append(Keyword(_between_gaps(characters), meaning, size=sum(map(len, characters))))
            return
        words = _between_gaps([tuple(fold(word) for word in part.split()) for part in parts])
        marked = _between_gaps([tuple(match.marked_form(part).split()) for part in written])
        keyword = Keyword(words, meaning, wildcard and len(words[-1]) >= MIN_STEM, size=len(words) - words.count(GAP),
                          marked=marked if _has_marks(marked) and len(marked) == len(words) else ())
        if keyword.wildcard and len(words) == 1:
            self.by_stem.setdefault(words[0][:MIN_STEM], []).append(keyword)
        else:
            self.by_first_word.setdefault(words[0], []).append(keyword)
        if len(words) == 1 and not keyword.wildcard and len(words[0]) >= MIN_FUZZY_WORD and words[0].isascii():
            meanings = self.guessable.setdefault(words[0], [])
            if meaning not in meanings:
                meanings.append(meaning)

    # ------------------------------------------------------------ reading a message

    def read(self, text: str) -> Reading:
        sentences = [(form.split(), asked) for form, asked in _sentences(text)]
        words = [fold(word) for sentence, _asked in sentences for word in sentence]
        marked = _marked_words(text, len(words))
        asking = _question_weights(sentences)
        found: list[Span] = []
        for index, word in enumerate(words):
            for keyword in (*self.by_first_word.get(word, ()), *self.by_stem.get(word[:MIN_STEM], ())):
                held = _held_at(words, index, keyword)
                if held and marked and keyword.marked and not _tones_agree(marked, held, keyword):
                    continue
                if held:
                    found.append((self._weight(keyword, keyword.size) * max(asking[at] for at in held), held, keyword))
        han_found = self._han(sentences)
        scores = self._claim(found) if found else {}
        for meaning, weight in han_found.items():
            scores[meaning] = scores.get(meaning, 0.0) + weight
        covered = {index for _w, held, _k in found for index in held}
        unmatched = [word for index, word in enumerate(words) if index not in covered]
        for meaning, weight in self._guesses(unmatched).items():
            scores[meaning] = scores.get(meaning, 0.0) + weight
        return self._rank(scores)

    def _han(self, sentences: list[tuple[list[str], bool]]) -> dict[Meaning, float]:
        """Chinese keywords, by characters: a longer keyword claims its characters before a shorter one."""
        by_characters = [("".join(sentence), asked) for sentence, asked in sentences]
        characters = "".join(joined for joined, _asked in by_characters)
        if not match.is_han(characters):
            return {}
        asking = _question_weights(by_characters)
        spans = []
        for keyword in self.han:
            first = keyword.words[0]
            start = characters.find(first)
            while start >= 0:
                held = _han_held_at(characters, start, keyword)
                if held:
                    weight = self._weight(keyword, keyword.size / 2) * max(asking[at] for at in held)
                    spans.append((weight, held, keyword))
                start = characters.find(first, start + 1)
        return self._claim(spans)

    @staticmethod
    def _claim(spans: list[Span]) -> dict[Meaning, float]:
        """Each stretch of the text counts once, for the longest keyword that holds it; a keyword counts once
        however often it is repeated ("court ... metro court")."""
        taken: set[int] = set()
        scores: dict[Meaning, float] = {}
        counted: set[Keyword] = set()
        for weight, held, keyword in sorted(spans, key=lambda span: (-len(span[1]), span[1][0])):
            places = set(held)
            if places & taken:
                continue
            taken |= places
            if keyword not in counted:
                counted.add(keyword)
                scores[keyword.meaning] = scores.get(keyword.meaning, 0.0) + weight
        return scores

    def _guesses(self, words: list[str]) -> dict[Meaning, float]:
        """Misspelt keywords: a long word that is no common word, scored against the one-word keywords."""
        scores: dict[Meaning, float] = {}
        for word in words:
            if len(word) < MIN_FUZZY_WORD or word in self.common or not word.isascii() or word in self.guessable:
                continue
            best = process.extractOne(word, self.guess_pool, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if best:
                for meaning in self.guessable[best[0]]:
                    scores[meaning] = max(scores.get(meaning, 0.0), FUZZY_WEIGHT)
        return scores

    def _weight(self, keyword: Keyword, size: float) -> float:
        """A keyword weighs as many words as it has (Chinese: a word for two characters). A thing named weighs one
        word more: a place named in a question is what it is about ("can they stop me at the hospital"), and an
        event is what is asked about, not the place it is held in ("a workshop at the library")."""
        return max(0.5, size) + (NAMED_WEIGHT if keyword.meaning in self.named else 0.0)

    def _rank(self, scores: dict[Meaning, float]) -> Reading:
        if not scores:
            return Reading()
        def support(meaning: Meaning) -> float:
            # Evidence for a menu ("can they go in", "la migra") supports what is under it a little.
            parent = self.parents.get(meaning)
            return SUPPORT * scores.get(parent, 0.0) if parent else 0.0

        specific = {meaning: score + support(meaning) for meaning, score in scores.items()
                    if meaning not in self.menus}
        # "Is there a workshop at the library?" may ask about the workshop or the library ("học lớp ba" is a
        # child in third grade, "جلسة" a court hearing): events and a place named together are asked about.
        places = [score for meaning, score in specific.items() if meaning.kind == "place"]
        if places:
            for meaning in self.gatherings & specific.keys():
                specific[meaning] = max(specific[meaning], *places)
        ranked = tuple(sorted(specific.items(), key=lambda item: -item[1]))
        menus = tuple(m for m, _s in sorted(((m, s) for m, s in scores.items() if m in self.menus),
                                             key=lambda item: -item[1]))
        return Reading(ranked, menus)


def _sentences(text: str) -> list[tuple[str, bool]]:
    """The message as sentences in command form, each marked if it is a question."""
    return [(match.command_form(piece), any(mark in piece for mark in _QUESTION_MARKS))
            for piece in _SENTENCE.findall(match.clean(text))]


def _question_weights(sentences: list) -> list[float]:
    """For each position (a word, or a Chinese character), what a keyword holding it is multiplied by: ASKED inside
    the question of a story that holds one ("...we were at work. If they come back, do we have to let them in?");
    1 everywhere when every sentence asks, or none does. `sentences` are (its words or characters, asked)."""
    mixed = len({asked for _units, asked in sentences}) == 2
    return [ASKED if mixed and asked else 1.0 for units, asked in sentences for _unit in units]


def _between_gaps(parts: list) -> tuple[str, ...]:
    """The parts of a keyword as one sequence, GAP between them: ["bị"], ["bắt"] is ("bị", GAP, "bắt")."""
    joined: list[str] = []
    for part in parts:
        if joined:
            joined.append(GAP)
        joined.extend([part] if isinstance(part, str) else part)
    return tuple(joined)


def _held_at(words: list[str], index: int, keyword: Keyword) -> tuple[int, ...]:
    """Where `keyword` stands in `words` if it starts at `index` (the positions of its own words), else ()."""
    held: list[int] = []
    at = index
    pattern = keyword.words
    for number, expected in enumerate(pattern):
        if expected == GAP:
            rest = pattern[number + 1]
            ahead = next((at + skip for skip in range(MAX_GAP_WORDS + 1)
                          if at + skip < len(words) and words[at + skip] == rest), None)
            if ahead is None:
                return ()
            at = ahead
            continue
        if at >= len(words):
            return ()
        if not _same_word(words[at], expected, keyword.wildcard and number == len(pattern) - 1):
            return ()
        held.append(at)
        at += 1
    return tuple(held)


def _han_held_at(characters: str, start: int, keyword: Keyword) -> tuple[int, ...]:
    """Where a Chinese keyword stands in `characters` if its first part starts at `start` (its own characters
    only, not what its gaps hold), else ()."""
    held: list[int] = []
    at = start
    for number, part in enumerate(keyword.words):
        if part == GAP:
            found = characters.find(keyword.words[number + 1], at, at + MAX_GAP_HAN + len(keyword.words[number + 1]))
            if found < 0:
                return ()
            at = found
            continue
        if not characters.startswith(part, at):
            return ()
        held.extend(range(at, at + len(part)))
        at += len(part)
    return tuple(held)


def _marked_words(text: str, count: int) -> list[str]:
    """A message typed with Vietnamese tones, word for word with its tones; [] when it has none (most people
    on a phone without a Vietnamese keyboard type none, and then "nha" may well be "nhà")."""
    if not match.typed_with_tones(text):
        return []
    marked = match.marked_form(text).split()
    return marked if len(marked) == count else []


def _has_marks(words: tuple[str, ...]) -> bool:
    return any(word != match.command_form(word) for word in words if word != GAP)


def _tones_agree(marked: list[str], held: tuple[int, ...], keyword: Keyword) -> bool:
    """A keyword with tones, found in a message typed with tones, counts only if the tones are the same:
    "về trễ nha" (home late, ok?) holds no "nhà" (home)."""
    own = [word for word in keyword.marked if word != GAP]
    return all(_same_word(marked[at], expected, keyword.wildcard and number == len(own) - 1)
               for number, (at, expected) in enumerate(zip(held, own, strict=True)))


def _same_word(word: str, expected: str, stem: bool) -> bool:
    """A word of the message is a keyword's word: the same, or, for a wildcard's last word, starting with it."""
    return word == expected or (stem and word.startswith(expected))


def fold(word: str) -> str:
    """A word as keywords compare it: Arabic folded (below), and Vietnamese "đ" as the "d" people type when their
    phone has no such key ("so dien thoai"), as surely as "ệ" is typed "e". Only here: in the exact phrases of
    opt-out "dừng" and "đừng" must stay apart, since "dùng nhắn tin" (use texting) would read as "stop texting"."""
    return fold_arabic(word).replace("đ", "d")


_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و")
_ARABIC_SUFFIXES = ("ها", "هم", "نا", "كم", "ي", "ه", "ك")  # her, their, our, your, my, his


def fold_arabic(word: str) -> str:
    """An Arabic word as keywords compare it: one spelling of alef, ta marbuta and alef maqsura (people type
    them either way), no article or "and" / "with" joined in front ("بالشارع" is "شارع"), and no pronoun
    joined behind ("أطفالي", my children, is "أطفال"). Keywords are folded alike, so a word cut short by this
    still meets its keyword."""
    if not word or not "\u0600" <= word[0] <= "\u06ff":
        return word
    word = word.translate(_ARABIC_LETTERS)
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix):]
            break
    for suffix in _ARABIC_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[:-len(suffix)]
    return word
