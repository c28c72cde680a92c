"""The conversation engine: pure. State, what the person sent and the time in; a Turn out.
A Turn says what to tell them (message ids, not yet translated), the menu, the next state and the effects."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from bot import match
from bot.flow import Event, Flows, Node, Option

MAX_HISTORY = 20  # enough BACK steps for any path through the tree, small enough to keep sessions tiny
MAX_NEXT_CHAIN = 5  # a node whose `next` leads on is shown with what follows, this many at most
MAX_EVENTS = 8  # events offered at once: one keypad digit each, with 9 and 0 left for back and menu
# Commands that must only ever match exactly: a guess must never unsubscribe or erase anybody.
EXACT_ONLY = ("stop", "start", "forget", "help")


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class Text:
    """A parameter that is itself a message, translated when the turn is rendered."""

    id: str


@dataclass(frozen=True)
class Say:
    """One thing to tell the person: a message id and its parameters; `lang` overrides the turn's."""

    id: str
    params: tuple[tuple[str, object], ...] = ()
    lang: str | None = None

    @classmethod
    def of(cls, message_id: str, lang: str | None = None, **params) -> Say:
        return cls(message_id, tuple(sorted(params.items())), lang)


@dataclass(frozen=True)
class State:
    node: str
    lang: str
    history: tuple[str, ...] = ()
    page: int = 0
    item: str | None = None  # at an events node: the event being looked at

    def to_dict(self) -> dict:
        data = {"n": self.node, "l": self.lang, "h": list(self.history), "p": self.page}
        if self.item:
            data["i"] = self.item
        return data

    @classmethod
    def from_dict(cls, data: dict, flows: Flows) -> State | None:
        """A saved state, or None when it no longer fits the flows (they changed since it was saved)."""
        try:
            state = cls(data["n"], data["l"], tuple(data.get("h", ())), int(data.get("p", 0)), data.get("i"))
        except (KeyError, TypeError, ValueError):
            return None
        if state.node not in flows.nodes or state.lang not in flows.enabled_languages:
            return None
        if state.item is not None and flows.event(state.item) is None:
            state = replace(state, item=None)  # the event was taken out of events.yaml
        return replace(state, history=tuple(h for h in state.history if h in flows.nodes))


# Effects: facts the edge acts on. Each has exactly one handler in the web layer.
@dataclass(frozen=True)
class OptOutRequested:
    """The person texted STOP (or another opt-out word): cancel everything pending for them."""


@dataclass(frozen=True)
class ForgetRequested:
    """The person asked to be forgotten: delete their session and anything pending."""


@dataclass(frozen=True)
class ReminderRequested:
    """The person asked to be texted before an event, in their language; asking twice changes nothing."""

    event: str
    lang: str


@dataclass(frozen=True)
class TextRequested:
    """A caller asked for what they just heard by text message, in their language."""

    node: str
    lang: str
    item: str | None = None


EFFECT_TYPES = (OptOutRequested, ForgetRequested, ReminderRequested, TextRequested)


@dataclass(frozen=True)
class Turn:
    says: tuple[Say, ...]
    state: State | None  # None: keep nothing about this person
    lang: str
    node: str | None = None  # the node whose menu is offered
    options: tuple[Option, ...] = ()
    page: int = 0
    effects: tuple = ()
    event: str = "node"  # what happened, for aggregate counts: node, unknown, command:<name>, ...
    footer: bool = True  # offer the way back to the menu


# ---------------------------------------------------------------- the vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """Everything a person's words can match, prepared once from the flows and the translations."""

    commands: dict[str, tuple[tuple[str, str], ...]]  # word -> ((language, command), ...)
    language_names: dict[str, str]
    greetings: dict[str, str]
    keywords: dict[str, tuple[str, str | None]]  # word -> (node id, its language or None)
    labels: dict[tuple[str, str], dict[str, str]]  # (language, node id) -> {label: option key}
    places: dict[str, dict[str, str]]  # language -> {phrase: place id}
    # (language, node id) -> pools tried in order: this menu's options first, then everything global.
    fuzzy: dict[tuple[str, str], tuple[dict[str, tuple], ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, flows: Flows, translate) -> Vocabulary:
        """`translate(lang, message_id)` gives a message's text in a language."""
        commands: dict[str, list] = {}
        for code in flows.enabled_languages:
            for name, words in flows.languages[code].commands.items():
                for word in words:
                    key = match.normalize(word)
                    if (code, name) not in commands.setdefault(key, []):
                        commands[key].append((code, name))
        enabled = [flows.languages[c] for c in flows.enabled_languages]
        language_names = match.index((name, lang.code) for lang in enabled for name in (lang.name, *lang.names))
        greetings = match.index((word, lang.code) for lang in enabled for word in lang.greetings)
        keywords = match.index((word, (node.id, lang)) for node in flows.nodes.values()
                               for word, lang in node.keywords)
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
        vocabulary = cls({k: tuple(v) for k, v in commands.items()}, language_names, greetings, keywords,
                         labels, places)
        for code in flows.enabled_languages:
            shared = vocabulary._global_pool(code)  # one per language: 10,000 nodes must not copy it
            for node in flows.nodes.values():
                options = {phrase: ("option", key) for phrase, key in labels.get((code, node.id), {}).items()}
                vocabulary.fuzzy[(code, node.id)] = (options, shared)
        return vocabulary

    def _global_pool(self, lang: str) -> dict[str, tuple]:
        """What a misspelt word may be guessed as anywhere: commands, shortcuts and language names.
        It is tried after the menu's own options, so a shortcut word never hides an option."""
        pool: dict[str, tuple] = {}
        for word, meanings in self.commands.items():
            for code, name in meanings:
                if code == lang and name not in EXACT_ONLY:
                    pool.setdefault(word, ("command", name))
        for word, (node, _lang) in self.keywords.items():
            pool.setdefault(word, ("node", node))
        for word, code in self.language_names.items():
            pool.setdefault(word, ("language", code))
        return pool


# ---------------------------------------------------------------- stepping


def _command(vocabulary: Vocabulary, text: str, lang: str) -> tuple[str, str] | None:
    """(language, command) for an exact command word; the person's own language wins a shared word."""
    meanings = vocabulary.commands.get(text)
    if not meanings:
        return None
    for code, name in meanings:
        if code == lang:
            return code, name
    return meanings[0]


def _items(flows: Flows, node: Node, now: datetime) -> list[Say]:
    if node.data == "places":
        return [Say.of("system:place_item", name=Text(p.name)) for p in flows.places]
    if node.data == "hotlines":
        return [Say.of("system:hotline_item", name=Text(h.name), phone=h.phone, note=Text(h.note))
                for h in flows.hotlines]
    if node.data == "sources":
        return [Say.of("system:source_item", title=s.title, url=s.url, checked=s.checked)
                for s in flows.sources.values()]
    if node.data == "events":
        return [Say.of("system:event_pick" if _upcoming(flows, now) else "system:no_events")]
    return []


def _upcoming(flows: Flows, now: datetime) -> list[Event]:
    return [e for e in flows.events if e.is_upcoming(now)][:MAX_EVENTS]


def _options(flows: Flows, state: State, now: datetime) -> tuple[Option, ...]:
    """What can be picked here: the node's own options; at an events node, the upcoming events, or
    for the event being looked at, a reminder (while one can still come before it starts)."""
    node = flows.nodes[state.node]
    if node.data != "events":
        # A language not yet switched on is left out until its catalog is complete.
        return tuple(o for o in node.options if o.language is None or o.language in flows.enabled_languages)
    if state.item is None:
        return tuple(Option(str(number), Say.of("system:event_option", title=Text(event.title), when=event.start),
                            event=event.id)
                     for number, event in enumerate(_upcoming(flows, now), start=1))
    event = flows.event(state.item)
    if event.is_upcoming(now) and event.reminder_moments(now):
        return (Option("1", "system:remind_me", remind=event.id),)
    return ()


def _show(flows: Flows, state: State, node_id: str, now: datetime, *, before: tuple[Say, ...] = (),
          push: bool = True, page: int = 0, event: str = "node", effects: tuple = ()) -> Turn:
    """Enter a node: say its text (and the nodes its `next` leads through), offer its options."""
    says = list(before)
    history = state.history
    if push and node_id != state.node:
        history = (history + (state.node,))[-MAX_HISTORY:]
    for _ in range(MAX_NEXT_CHAIN):
        node = flows.nodes[node_id]
        says.append(Say(node.id))
        says.extend(_items(flows, node, now))
        if not node.next:
            break
        node_id = node.next
    if node_id == flows.start:
        history = ()
    new_state = State(node_id, state.lang, history, page)
    return Turn(tuple(says), new_state, state.lang, node_id, _options(flows, new_state, now), page, effects, event,
                footer=node_id != flows.start)


def _brief(flows: Flows, state: State, says: tuple[Say, ...], event: str, now: datetime) -> Turn:
    """A short line, then the current menu again: never the whole script a second time."""
    options = _options(flows, state, now)
    if options:
        says += (Say.of("system:pick"),)
    return Turn(says, replace(state, page=0), state.lang, state.node, options, 0, (), event,
                footer=state.node != flows.start)


def _show_event(flows: Flows, state: State, event_id: str, now: datetime) -> Turn:
    """One event in full: when, where, and (if there is still time) the offer of a text reminder."""
    event = flows.event(event_id)
    timed = isinstance(event.start, datetime)
    detail = Say.of("system:event_detail" if timed else "system:event_detail_day", title=Text(event.title),
                    when=event.start, where=event.place or event.link)
    history = (state.history + (state.node,))[-MAX_HISTORY:]
    new_state = State(state.node, state.lang, history, 0, event.id)
    return Turn((detail,), new_state, state.lang, state.node, _options(flows, new_state, now), event="event")


def _remind(flows: Flows, state: State, event_id: str, now: datetime) -> Turn:
    """Confirm the reminders and when they will come; the edge schedules them (once, however often asked)."""
    event = flows.event(event_id)
    moments = tuple(moment for _offset, moment in event.reminder_moments(now))
    if not moments:
        return _brief(flows, state, (Say.of("system:reminder_too_late"),), "reminder:late", now)
    says = (Say.of("system:reminder_set", times=moments),)
    return Turn(says, state, state.lang, state.node, (), effects=(ReminderRequested(event.id, state.lang),),
                event="reminder")


def _welcome(flows: Flows, vocabulary: Vocabulary, text: str, now: datetime) -> Turn:
    """A first message: start in the language it is written in, or offer every language by its own name."""
    lang = vocabulary.greetings.get(text) or vocabulary.language_names.get(text)
    if lang is None:
        meanings = vocabulary.commands.get(text, ())
        lang = meanings[0][0] if meanings else None
    if lang is None:
        for word in text.split():
            lang = vocabulary.greetings.get(word) or vocabulary.language_names.get(word)
            if lang:
                break
    if lang is None and text and not text.isascii():
        # "你好啊", "مرحبا بك": a greeting at the start, with no space after it to split on.
        lang = next((code for greeting, code in vocabulary.greetings.items()
                     if len(greeting) >= 2 and not greeting.isascii() and text.startswith(greeting)), None)
    shortcut, shortcut_lang = vocabulary.keywords.get(text, (None, None))
    if lang is None and shortcut is None:
        # Not yet known which language: one short line in each, each with its own digit.
        says = []
        for option in flows.nodes[flows.language_node].options:
            if option.language in flows.enabled_languages:
                says.append(Say.of("system:choose_language", lang=option.language, key=option.key))
        state = State(flows.language_node, "en")
        return Turn(tuple(says), state, "en", state.node, (), event="welcome", footer=False)
    if shortcut and shortcut != flows.start:
        # A word from a flyer: straight to what it promised, in the flyer's language.
        state = State(flows.start, lang or shortcut_lang or "en")
        return _show(flows, state, shortcut, now, event="welcome")
    state = State(flows.start, lang or "en")
    hello = (Say.of("system:welcome"),)
    return _show(flows, state, flows.start, now, before=hello, push=False, event="welcome")


def step(flows: Flows, vocabulary: Vocabulary, state: State | None, text: str | None, now: datetime) -> Turn:
    """What to answer to `text` from a person in `state` (None: no conversation yet) at `now`."""
    typed = match.normalize(text)
    lang = state.lang if state else "en"

    found = _command(vocabulary, typed, lang)
    if found:
        word_lang, command = found
        if command == "stop":
            return Turn((Say.of("system:stopped", lang=word_lang),), None, word_lang,
                        effects=(OptOutRequested(),), event="command:stop", footer=False)
        if command == "forget":
            return Turn((Say.of("system:forgotten", lang=word_lang),), None, word_lang,
                        effects=(ForgetRequested(),), event="command:forget", footer=False)
        if command == "start":
            fresh = State(flows.start, word_lang)
            return _show(flows, fresh, flows.start, now, before=(Say.of("system:welcome"),), push=False,
                         event="command:start")
    if state is None:
        if found and found[1] == "help":
            state = State(flows.start, found[0])
            return _show(flows, state, flows.start, now, before=(Say.of("system:help"),), push=False,
                         event="command:help")
        return _welcome(flows, vocabulary, typed, now)

    if found:
        word_lang, command = found
        if word_lang != state.lang and command in ("help", "language"):
            state = replace(state, lang=word_lang)  # "AYUDA" from an English session: answer in Spanish
        return _run_command(flows, state, command, now)

    node = flows.nodes[state.node]
    if not typed:
        return _brief(flows, state, (Say.of("system:empty"),), "unknown", now)
    picked = _option(vocabulary, state, _options(flows, state, now), typed)
    if picked:
        return _follow(flows, state, picked, now)
    if typed in vocabulary.language_names:
        return _switch_language(flows, state, vocabulary.language_names[typed], now)
    if typed in vocabulary.keywords:
        return _show(flows, state, vocabulary.keywords[typed][0], now, event="keyword")
    # Anywhere, a place's exact name answers; at the safe-spaces node a misspelt one does too.
    place = vocabulary.places.get(state.lang, {}).get(typed)
    if place is None and node.lookup == "places":
        place = match.fuzzy_pick(typed, vocabulary.places.get(state.lang, {}))
    if place:
        return _place_answer(flows, state, place, now)
    guess = None
    for pool in vocabulary.fuzzy.get((state.lang, node.id), ()):
        guess = match.fuzzy_pick(typed, pool)
        if guess:
            break
    if guess:
        kind, value = guess
        if kind == "option":
            return _follow(flows, state, next(o for o in node.options if o.key == value), now)
        if kind == "command":
            return _run_command(flows, state, value, now)
        if kind == "node":
            return _show(flows, state, value, now, event="keyword")
        return _switch_language(flows, state, value, now)
    return _brief(flows, state, (Say.of("system:unknown"),), "unknown", now)


def main_menu(flows: Flows, lang: str, now: datetime, event: str = "node") -> Turn:
    """The main menu for someone the bot knows nothing about (for example while Redis is down)."""
    return _show(flows, State(flows.start, lang), flows.start, now, push=False, event=event)


def repeat(flows: Flows, state: State, now: datetime) -> Turn:
    """Where the person is, said again in full (the phone's star key)."""
    if state.item is not None:
        back = replace(state, history=state.history[:-1], item=None)
        return _show_event(flows, back, state.item, now)
    return _show(flows, state, state.node, now, push=False, event="repeat")


def options_at(flows: Flows, state: State, now: datetime) -> tuple[Option, ...]:
    """What can be picked where the person is (the phone offers its after-script keys where nothing can)."""
    return _options(flows, state, now)


def brief(flows: Flows, state: State, message_id: str, now: datetime, event: str = "unknown") -> Turn:
    """One short line, then the choices where the person is (a wrong key, a silence on the phone)."""
    return _brief(flows, state, (Say.of(message_id),), event, now)


def command(flows: Flows, state: State, name: str, now: datetime) -> Turn:
    """A command by name (menu, back, more, language, help), as the phone's keys give them."""
    return _run_command(flows, state, name, now)


def _run_command(flows: Flows, state: State, command: str, now: datetime) -> Turn:
    if command == "menu":
        return _show(flows, state, flows.start, now, push=False, event="command:menu")
    if command == "back":
        if not state.history:
            return _show(flows, state, flows.start, now, push=False, event="command:back")
        back = replace(state, history=state.history[:-1])
        return _show(flows, back, state.history[-1], now, push=False, event="command:back")
    if command == "more":
        return _show(flows, state, state.node, now, push=False, page=state.page + 1, event="command:more")
    if command == "language":
        return _show(flows, state, flows.language_node, now, event="command:language")
    # help
    return _brief(flows, state, (Say.of("system:help"),), "command:help", now)


def _option(vocabulary: Vocabulary, state: State, options: tuple[Option, ...], typed: str) -> Option | None:
    for option in options:
        if typed == option.key:
            return option
    key = vocabulary.labels.get((state.lang, state.node), {}).get(typed)
    return next((o for o in options if o.key == key), None) if key else None


def _follow(flows: Flows, state: State, option: Option, now: datetime) -> Turn:
    if option.event:
        return _show_event(flows, state, option.event, now)
    if option.remind:
        return _remind(flows, state, option.remind, now)
    if option.language:
        first_choice = state.node == flows.language_node and not state.history
        state = replace(state, lang=option.language)
        target = option.target or flows.start
        hello = (Say.of("system:welcome"),) if first_choice else ()
        return _show(flows, state, target, now, before=hello, push=target != flows.start, event="language")
    return _show(flows, state, option.target, now)


def _switch_language(flows: Flows, state: State, lang: str, now: datetime) -> Turn:
    state = replace(state, lang=lang)
    node = state.node if state.node != flows.language_node else flows.start
    return _show(flows, state, node, now, push=False, event="language")


def _place_answer(flows: Flows, state: State, place_id: str, now: datetime) -> Turn:
    place = next(p for p in flows.places if p.id == place_id)
    says = (Say.of("system:place_found", name=Text(place.name)), Say(place.note))
    return _brief(flows, state, says, "place", now)
