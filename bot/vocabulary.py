"""Everything a person's words can match, prepared once from the flows and the translations: command words,
language names, greetings, flyer keywords, menu labels, places, and the pools a misspelt word is guessed from."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from bot import match
from bot.detect import LanguageGuesser
from bot.flow import Flows
from bot.understand import Meaning, Understanding, fold_arabic

# Commands that must only ever match exactly: a guess must never unsubscribe or erase anybody.
EXACT_ONLY = ("stop", "start", "forget", "help")



@dataclass(frozen=True)
class Vocabulary:
    """Everything a person's words can match, prepared once from the flows and the translations."""

    commands: dict[str, tuple[tuple[str, str], ...]]  # word -> ((language, command), ...)
    language_names: dict[str, str]
    greetings: dict[str, str]
    labels: dict[tuple[str, str], dict[str, str]]  # (language, node id) -> {label: option key}
    places: dict[str, dict[str, str]]  # language -> {phrase: place id}
    # (language, node id) -> pools tried in order: this menu's options first, then everything global.
    fuzzy: dict[tuple[str, str], tuple[dict[str, tuple], ...]] = field(default_factory=dict)
    # Stop and forget phrases, (phrase in command form, its language, "stop" or "forget"), longest first:
    # indexed by first word, so a text is checked only against the phrases its own words can start;
    # Chinese ones apart, matched as characters.
    phrase_starts: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    han_phrases: tuple[tuple[str, str, str], ...] = ()
    confirm: dict[str, str] = field(default_factory=dict)  # a yes to a deletion -> its language
    stop_words: frozenset[str] = frozenset()  # one-word stop commands; longer and Chinese ones in stop_spans
    stop_spans: tuple[str, ...] = ()
    courtesy_words: frozenset[str] = frozenset()  # may stand around a command; longer and Chinese ones below
    courtesy_affixes: tuple[tuple[str, str], ...] = ()  # (as a prefix, as a suffix): "por favor " / " por favor"
    understanding: Understanding = field(default_factory=Understanding)  # what a message asks for
    guesser: LanguageGuesser = field(default_factory=lambda: LanguageGuesser({}, ()))  # what it is written in
    common: frozenset[str] = frozenset()  # words too common to pick an option ("esta", "you")

    @classmethod
    def build(cls, flows: Flows, translate) -> Vocabulary:
        """`translate(lang, message_id)` gives a message's text in a language."""
        commands: dict[str, list] = {}
        for code in flows.enabled_languages:
            for name, words in flows.languages[code].commands.items():
                for word in words:
                    key = match.command_form(word)
                    if (code, name) not in commands.setdefault(key, []):
                        commands[key].append((code, name))
        enabled = [flows.languages[c] for c in flows.enabled_languages]
        language_names = match.index((name, lang.code) for lang in enabled for name in (lang.name, *lang.names))
        greetings = match.index((word, lang.code) for lang in enabled for word in lang.greetings)
        labels, places = {}, {}
        for code in flows.enabled_languages:
            for node in flows.nodes.values():
                if node.options:
                    labels[(code, node.id)] = match.index(
                        (text, option.key) for option in node.options
                        for text in {translate(code, option.label), translate("en", option.label)})
            places[code] = match.index(
                (phrase, place.id) for place in flows.places
                for phrase in (translate(code, place.name), translate("en", place.name), *place.keywords))
        phrases = sorted(((match.command_form(phrase), lang.code, kind) for lang in enabled
                          for kind in ("stop", "forget") for phrase in lang.phrases.get(kind, ())),
                         key=lambda entry: -len(entry[0]))
        starts: dict[str, list[tuple[str, str, str]]] = {}
        for entry in phrases:
            if not match.is_han(entry[0]):
                starts.setdefault(entry[0].split()[0], []).append(entry)
        stop_words, stop_spans = _one_words_and_spans(
            word for word, meanings in commands.items() if any(name == "stop" for _code, name in meanings))
        courtesy_words, courtesy_spans = _one_words_and_spans(
            match.command_form(word) for lang in enabled for word in lang.phrases.get("courtesy", ()))
        vocabulary = cls(
            {k: tuple(v) for k, v in commands.items()}, language_names, greetings, labels, places,
            phrase_starts={word: tuple(found) for word, found in starts.items()},
            han_phrases=tuple(entry for entry in phrases if match.is_han(entry[0])),
            confirm=match.index((word, lang.code) for lang in enabled for word in lang.phrases.get("confirm", ())),
            stop_words=stop_words, stop_spans=stop_spans, courtesy_words=courtesy_words,
            courtesy_affixes=tuple(_affixes(span) for span in sorted(courtesy_spans, key=len, reverse=True)),
            understanding=_understanding(flows, translate), guesser=_guesser(flows),
            common=frozenset(match.command_form(word) for lang in enabled for word in lang.phrases.get("common", ())))
        for code in flows.enabled_languages:
            shared = vocabulary._global_pool(code)  # one per language: 10,000 nodes must not copy it
            for node in flows.nodes.values():
                options = {phrase: ("option", key) for phrase, key in labels.get((code, node.id), {}).items()}
                vocabulary.fuzzy[(code, node.id)] = (options, shared)
        return vocabulary

    def _global_pool(self, lang: str) -> dict[str, tuple]:
        """What a misspelt word may be guessed as anywhere: commands and language names (keywords are guessed
        by the understanding, which weighs them against each other).
        It is tried after the menu's own options, so a command word never hides an option."""
        pool: dict[str, tuple] = {}
        for word, meanings in self.commands.items():
            for code, name in meanings:
                if code == lang and name not in EXACT_ONLY:
                    pool.setdefault(word, ("command", name))
        for word, code in self.language_names.items():
            pool.setdefault(word, ("language", code))
        return pool

    def phrase(self, words: str) -> tuple[str, str] | None:
        """(language, "stop" or "forget") when a phrase that means it stands in `words` (in command form)."""
        if match.is_han(words):
            found = next(((lang, kind) for phrase, lang, kind in self.han_phrases
                          if match.holds_phrase(words, phrase)), None)
            if found:
                return found
        for word in dict.fromkeys(words.split()):
            for phrase, lang, kind in self.phrase_starts.get(word, ()):
                if match.holds_phrase(words, phrase):
                    return lang, kind
        return None

    def named_language(self, typed: str) -> str | None:
        """The language a message names ("en español", "có tiếng Anh không", "可以用英文吗"), the first one named."""
        words = [fold_arabic(word) for word in typed.split()]
        folded = " ".join(words)
        best: tuple[int, str] | None = None
        for name, code in self.language_names.items():
            if match.is_han(name):
                at = typed.replace(" ", "").find(name.replace(" ", ""))
            else:
                at = f" {folded} ".find(f" {' '.join(fold_arabic(w) for w in name.split())} ")
            if at >= 0 and (best is None or at < best[0]):
                best = (at, code)
        return best[1] if best else None

    def is_courtesy(self, words: str) -> bool:
        """Whether `words` (in command form) are only a courtesy: "ok", "thank you", "gracias"."""
        return words in self.courtesy_words or any(words == prefix.strip() for prefix, _ in self.courtesy_affixes)

    def bare(self, words: str) -> str:
        """`words` without the courtesy words at either end, so "stop please" is the command "stop"."""
        while words:
            first, _, rest = words.partition(" ")
            head, _, last = words.rpartition(" ")
            if rest and first in self.courtesy_words:
                words = rest
            elif head and last in self.courtesy_words:
                words = head
            else:
                for prefix, suffix in self.courtesy_affixes:
                    if words.startswith(prefix) and words != prefix.strip():
                        words = words[len(prefix):].strip()
                        break
                    if words.endswith(suffix) and words != suffix.strip():
                        words = words[:-len(suffix)].strip()
                        break
                else:
                    return words
        return words

    def mentions_stop(self, words: str) -> bool:
        """Whether a stop word stands in a longer message: it may be an opt-out, or "the bus stop"."""
        if any(word in self.stop_words for word in words.split()):
            return True
        # Checked on every text: one padded string and one test per span, not a helper call each.
        padded, characters = f" {words} ", words.replace(" ", "")
        return any((span in characters) if han else (span in padded) for span, han in self._stop_spans_as_found)

    @cached_property
    def _stop_spans_as_found(self) -> tuple[tuple[str, bool], ...]:
        """Each stop span as it is looked for: Chinese by characters, other words padded with spaces."""
        return tuple((span.replace(" ", ""), True) if match.is_han(span) else (f" {span} ", False)
                     for span in self.stop_spans)


def _understanding(flows: Flows, translate) -> Understanding:
    """Every node's keywords, and every place's keywords and names in every language, as meanings; a node is
    a menu when it offers options, and a menu's evidence supports what it leads to."""
    keywords = [(word, Meaning("node", node.id)) for node in flows.nodes.values() for word, _lang in node.keywords]
    for place in flows.places:
        names = {translate(code, place.name) for code in (*flows.enabled_languages, "en")}
        keywords += [(word, Meaning("place", place.id)) for word in (*place.keywords, *names)]
    parents: dict[Meaning, Meaning] = {}
    for node in flows.nodes.values():
        for option in node.options:
            if option.target and option.target != flows.start:
                parents.setdefault(Meaning("node", option.target), Meaning("node", node.id))
    lookup = next((node.id for node in flows.nodes.values() if node.lookup == "places"), None)
    if lookup:  # a place is asked about where the list of places hangs: the safe places menu
        place_menu = parents.get(Meaning("node", lookup), Meaning("node", lookup))
        parents.update({Meaning("place", place.id): place_menu for place in flows.places})
    menus = [Meaning("node", node.id) for node in flows.nodes.values() if node.options]
    common = [word for code in flows.enabled_languages for word in flows.languages[code].phrases.get("common", ())]
    # Events are named as a kind of place is, and weigh as much ("when is the next class? I work days").
    events = [Meaning("node", node.id) for node in flows.nodes.values() if node.data == "events"]
    named = [*(Meaning("place", place.id) for place in flows.places), *events]
    return Understanding.build(keywords, common, parents, menus, named, gatherings=events)


def _guesser(flows: Flows) -> LanguageGuesser:
    """The words that tell each language: its common words, commands, greetings, phrases and keywords."""
    words: dict[str, set[str]] = {code: set() for code in flows.enabled_languages}
    for code in flows.enabled_languages:
        lang = flows.languages[code]
        # Not the names of languages: "spanish" is English and "inglés" Spanish.
        phrases = [*lang.phrases.get("common", ()), *lang.greetings,
                   *(word for group in lang.commands.values() for word in group),
                   *(word for kind in ("stop", "forget", "courtesy") for word in lang.phrases.get(kind, ()))]
        phrases += [word for node in flows.nodes.values() for word, group in node.keywords if group == code]
        for phrase in phrases:
            words[code].update(match.command_form(phrase.rstrip("*")).split())
    return LanguageGuesser({code: frozenset(found) for code, found in words.items()}, flows.enabled_languages)


def _one_words_and_spans(words) -> tuple[frozenset[str], tuple[str, ...]]:
    """Words in command form, split into single words (looked up in a set) and the rest: several words, or
    Chinese, where a word is found inside the text."""
    words = set(words)
    single = frozenset(w for w in words if " " not in w and not match.is_han(w))
    return single, tuple(words - single)


def _affixes(span: str) -> tuple[str, str]:
    """How `span` stands at the start and at the end of a text: with a space, except in Chinese."""
    joined = "" if match.is_han(span) else " "
    return span + joined, joined + span
