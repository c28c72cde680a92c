"""The conversation engine: pure. The flows, where the person is, what they sent and the time in; a Turn out.
One step for every channel: a text, keys or words on a call, or a call's silence, each a typed input."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot import match, nodes
from bot.flow import Flows, Option
from bot.turn import (
    TEXTABLE_AND_REMEMBERED,
    Choice,
    Facts,
    ForgetRequested,
    Input,
    Keys,
    Message,
    MessageRef,
    OptOutRequested,
    ReminderRequested,
    Say,
    Speech,
    State,
    TextRequested,
    Turn,
)
from bot.understand import Meaning
from bot.vocabulary import Vocabulary

MAX_SILENCES = 2  # a silent caller is asked again twice, then told the help lines and goodbye
# The keys that work everywhere on a call, as the commands they stand for.
CALL_KEYS = {"*": "repeat", "0": "menu", "9": "back", "#": "language"}
# After a script (a place with nothing to pick): hear it again, or have it sent by text.
AFTER_SCRIPT_KEYS = {"1": "repeat", "2": "text"}
# A question about deleting is no wish to be forgotten: the marks and particles that end one (Latin, full-width,
# Arabic; Chinese 吗/嗎; Vietnamese "có ... không"), and the Arabic word that starts one (هل).
QUESTION_ENDS = ("?", "\uff1f", "\u061f", "\u5417", "\u55ce", " không", " khong")
QUESTION_STARTS = ("\u0647\u0644 ",)
# Commands a word heard on a call never carries out: a misheard word must not unsubscribe or erase anybody.
TEXT_ONLY_COMMANDS = ("stop", "forget")


# ---------------------------------------------------------------- one step


def step(flows: Flows, vocabulary: Vocabulary, state: State | None, said: Input, now: datetime,
         facts: Facts = TEXTABLE_AND_REMEMBERED) -> Turn:
    """What to answer to what the person sent (`said`), where they are (`state`; None: nowhere yet), at `now`."""
    if isinstance(said, Message):
        return _reminders_allowed(flows, _text(flows, vocabulary, state, said.text, now, facts, said.photos), facts,
                                  now)
    return _on_call(_call(flows, vocabulary, state, said, now), facts)


# ---------------------------------------------------------------- texts


def _text(flows: Flows, vocabulary: Vocabulary, state: State | None, text: str, now: datetime,
          facts: Facts, photos: int = 0) -> Turn:
    if facts.carrier_answered:
        # Twilio answered STOP, START or HELP itself: one reply is enough. A STOP still cancels everything.
        lang, outcome = state.lang if state else "en", f"carrier:{facts.carrier_answered.lower()}"
        if facts.carrier_answered == "STOP":
            return Turn((), None, lang, effects=(OptOutRequested(),), outcome=outcome, footer=False)
        return Turn((), state, lang, outcome=outcome, footer=False)
    if not facts.remembered:
        # Whatever it says, it will not be recalled: the one answer that needs no memory is the menu.
        return nodes.show(flows, State(flows.start, "en"), flows.start, now, push=False, outcome="fallback")
    words = match.command_form(text)
    if state is not None and state.stage == "forget":
        if words in vocabulary.confirm:
            return _anywhere(flows, (state.lang, "forget"), now, state)
        state = replace(state, stage="node")  # not a yes: the question is dropped, the message answered
    found = _command(vocabulary, vocabulary.bare(words), state.lang if state else "en")
    if found and found[1] in ("stop", "forget", "start"):
        return _anywhere(flows, found, now, state)
    phrase = vocabulary.phrase(words)
    if phrase and phrase[1] == "forget" and _asks(text):
        phrase = None  # "will ICE delete my data?" asks about records; it does not ask the line to forget
    if phrase and phrase[1] == "stop":
        return _anywhere(flows, phrase, now, state)  # any reasonable wording revokes consent (47 CFR 64.1200)
    if phrase:
        return _confirm_forget(flows, state, phrase[0])
    if photos:
        return _photo(flows, vocabulary, state, text, now)
    turn = _answer(flows, vocabulary, state, text, found, now)
    if vocabulary.mentions_stop(words):  # "the bus stop", or a real wish to stop: either way, say how
        turn = replace(turn, says=(*turn.says, Say.of("system:stop_hint")))
    return turn


def always_answered(vocabulary: Vocabulary, text: str) -> bool:
    """Whether a text asks to stop, start again, be forgotten or be helped (a command word or a phrase, or the
    yes that confirms a forget): answered even when the sender is past their allowance of replies."""
    words = match.command_form(text)
    found = _command(vocabulary, vocabulary.bare(words), "en")
    return bool(found and found[1] in ("stop", "start", "forget", "help")) or words in vocabulary.confirm or bool(
        vocabulary.phrase(words))


def slow_down(state: State | None) -> Turn:
    """A sender past their allowance of replies is asked, once, to wait a moment; nothing about them changes."""
    lang = state.lang if state is not None else "en"
    return Turn((Say.of("system:slow_down"),), state, lang, state.node if state else None, outcome="limit:sender",
                footer=False)


def _reminders_allowed(flows: Flows, turn: Turn, facts: Facts, now: datetime) -> Turn:
    """A reminder goes only to a U.S. number, and only while the line's limits on texts allow one."""
    if turn.state is None or not any(isinstance(effect, ReminderRequested) for effect in turn.effects):
        return turn
    if not facts.can_text:
        return nodes.brief(flows, turn.state, (Say.of("system:reminder_us_only"),), "reminder:not_us", now)
    if facts.texts_paused:
        return nodes.brief(flows, turn.state, (Say.of("system:texts_paused"),), "reminder:paused", now)
    return turn


PHOTO_NODE = "safe:warrant"  # a picture is most likely of papers from agents: how to read one


def _photo(flows: Flows, vocabulary: Vocabulary, state: State | None, text: str, now: datetime) -> Turn:
    """A picture, most likely of a warrant or a notice: the line cannot read it (and keeps none), so it says how
    to tell a judge's warrant from an ICE form, in the person's language (a first text's, from its words)."""
    if state is None:
        lang = (vocabulary.guesser.guess(text).lang if text.strip() else None) or "en"
        return _photo_view(flows, State(flows.start, lang, item="first"), now)
    return _photo_view(flows, replace(state, item=None), now)


def _photo_view(flows: Flows, state: State, now: datetime, page: int = 0) -> Turn:
    """The answer to a picture, page `page`. It is kept in the state (stage "photo"; item "first" on a first
    text, which also says what the line is), so MORE pages this answer and not the script under it."""
    first = state.item == "first"
    at = replace(state, stage="node", item=None, page=0)
    says = (Say.of("system:photo"),)
    if PHOTO_NODE not in flows.nodes:  # staff removed it: the line still says it cannot read pictures
        return nodes.brief(flows, at, says, "photo", now)
    if state.stage == "photo":  # MORE or REPEAT: the same view again, from where it was shown
        at = replace(at, history=state.history[:-1]) if state.history else at
        at = replace(at, node=state.history[-1]) if state.history else at
    turn = nodes.show(flows, at, PHOTO_NODE, now, before=says, outcome="photo")
    turn = _first_note(turn) if first else turn
    kept = replace(turn.state or at, stage="photo", item="first" if first else None, page=page)
    return replace(turn, state=kept, page=page)


def _asks(text: str) -> bool:
    text = text.strip().lower()
    return text.endswith(QUESTION_ENDS) or text.startswith(QUESTION_STARTS)


def _answer(flows: Flows, vocabulary: Vocabulary, state: State | None, text: str, found: tuple[str, str] | None,
            now: datetime) -> Turn:
    if state is None:
        if found and found[1] == "help":
            return _help(flows, State(flows.start, found[0]), now)
        return _welcome(flows, vocabulary, text, found, now)
    return _words(flows, vocabulary, state, text, found, now)


def _anywhere(flows: Flows, found: tuple[str, str], now: datetime, state: State | None = None) -> Turn:
    """The commands that mean the same wherever the person is: stop, forget, start again. Stop and forget are
    confirmed in the conversation's language, whatever language the word was in."""
    word_lang, command = found
    lang = state.lang if state is not None else word_lang
    if command == "stop":
        return Turn((Say.of("system:stopped", lang=lang),), None, lang,
                    effects=(OptOutRequested(),), outcome="command:stop", footer=False)
    if command == "forget":
        return Turn((Say.of("system:forgotten", lang=lang),), None, lang,
                    effects=(ForgetRequested(),), outcome="command:forget", footer=False)
    fresh = State(flows.start, word_lang)
    return nodes.show(flows, fresh, flows.start, now, before=(Say.of("system:welcome"),), push=False,
                      outcome="command:start")


def _confirm_forget(flows: Flows, state: State | None, phrase_lang: str) -> Turn:
    """A wish to be forgotten in the person's own words: erasing is final, so it is asked back once."""
    waiting = replace(state or State(flows.start, phrase_lang), stage="forget", page=0)
    return Turn((Say.of("system:forget_confirm"),), waiting, waiting.lang, outcome="forget:asked", footer=False)


def _words(flows: Flows, vocabulary: Vocabulary, state: State, text: str, found: tuple[str, str] | None,
           now: datetime) -> Turn:
    """What typed (or heard) words mean where the person is, in the order tried: an answer to a question the
    line asked, a command word, an option's key or label, a language's name, what the words ask for
    (a script, a page, a place), a language named in them, then a guess at a misspelt option."""
    typed = match.normalize(text)
    if state.stage == "clarify":
        meanings = (state.item or "").split("|")
        state = replace(state, stage="node", item=None)
        if typed.isdigit() and 1 <= int(typed) <= len(meanings):
            return _go(flows, state, _meaning(meanings[int(typed) - 1]), now)
    elif state.stage in ("place", "photo") and not found:
        state = replace(state, stage="node", item=None)
    if found:
        word_lang, command = found
        if word_lang != state.lang and command in ("help", "language"):
            state = replace(state, lang=word_lang)  # "AYUDA" from an English session: answer in Spanish
        return _run_command(flows, state, command, now)
    if not typed or vocabulary.is_courtesy(match.command_form(text)) or typed in vocabulary.greetings:
        # An emoji, "ok", "thanks", "hello": nothing to answer but the menu.
        return nodes.show(flows, state, flows.start, now, push=False, outcome="acknowledged")
    offered = nodes.picks(flows, state, now)
    picked = _option(vocabulary, state, offered, typed)
    if picked:
        return _follow(flows, state, picked, now)
    if not offered and typed.isdigit() and state.history:
        # After a script, people type the next number of the menu they came from.
        back = replace(state, node=state.history[-1], history=state.history[:-1])
        picked = _option(vocabulary, back, nodes.picks(flows, back, now), typed)
        if picked:
            return _follow(flows, back, picked, now)
    if typed in vocabulary.language_names:
        return _switch_language(flows, state, vocabulary.language_names[typed], now)
    understood = _understood(flows, vocabulary, state, text, now)
    if understood:
        return understood
    named = vocabulary.named_language(typed)
    if named and named != state.lang:
        return _switch_language(flows, state, named, now)  # "lo tienen en ingles?"
    node = flows.nodes[state.node]
    if node.lookup == "places":  # where places are looked up, part of a name is enough ("图书" for 图书馆)
        place = match.fuzzy_pick(text, vocabulary.places.get(state.lang, {}), ignore=vocabulary.common)
        if place:
            return _place_answer(flows, state, place, now)
    guess = None
    for pool in vocabulary.fuzzy.get((state.lang, node.id), ()):
        guess = match.fuzzy_pick(text, pool, ignore=vocabulary.common)
        if guess:
            break
    if guess:
        kind, value = guess
        if kind == "option":
            return _follow(flows, state, next(p for p in offered if p.key == value), now)
        if kind == "command":
            return _run_command(flows, state, value, now)
        return _switch_language(flows, state, value, now)
    return nodes.brief(flows, state, (Say.of("system:unknown"),), "unknown", now)


def _understood(flows: Flows, vocabulary: Vocabulary, state: State, text: str, now: datetime) -> Turn | None:
    """The script, page or place the words ask for; a question when two or three come close; the menu they
    point to when they ask for nothing more specific ("la migra"); None when they point nowhere."""
    reading = vocabulary.understanding.read(text)
    if reading.sure:
        return _go(flows, state, reading.sure, now)
    if len(reading.close) > 1:
        return _clarify(flows, state, reading.close, now)
    if reading.menus:
        return nodes.show(flows, state, reading.menus[0].target, now, outcome="understood")
    return None


def _meaning(saved: str) -> Meaning:
    kind, _, target = saved.partition(":")
    return Meaning(kind, target)


def _go(flows: Flows, state: State, meaning: Meaning, now: datetime) -> Turn:
    if meaning.kind == "place":
        return _place_answer(flows, state, meaning.target, now)
    return nodes.show(flows, state, meaning.target, now, outcome="understood")


def _clarify(flows: Flows, state: State, meanings: tuple[Meaning, ...], now: datetime) -> Turn:
    """A wrong script is worse than a question: offer only the few things the words could mean."""
    asking = replace(state, stage="clarify", item="|".join(f"{m.kind}:{m.target}" for m in meanings), page=0)
    options = tuple(Choice(str(number), _label(flows, meaning)) for number, meaning in enumerate(meanings, start=1))
    return Turn((Say.of("system:clarify"),), asking, state.lang, state.node, options, outcome="clarify",
                footer=True)


def _label(flows: Flows, meaning: Meaning) -> Say:
    """How a question names a meaning: the menu label that leads to it, or the place's name."""
    if meaning.kind == "place":
        return Say(next(p.name for p in flows.places if p.id == meaning.target))
    label = next((o.label for node in flows.nodes.values() for o in node.options if o.target == meaning.target),
                 None)
    return Say(label or meaning.target)


def _help(flows: Flows, state: State, now: datetime) -> Turn:
    """HELP: 911 first, then the help lines, then how to use the line, on one screen."""
    lines = tuple(Say.of("system:hotline_short", name=MessageRef(h.name), phone=h.phone) for h in flows.hotlines)
    says = (Say.of("system:help_911"), *lines, Say.of("system:help_hint"))
    return Turn(says, replace(state, page=0, stage="node", item=None), state.lang, state.node,
                nodes.choices(flows, state, now) if state.node != flows.start else (), outcome="command:help",
                footer=state.node != flows.start)


def _command(vocabulary: Vocabulary, typed: str, lang: str) -> tuple[str, str] | None:
    """(language, command) for an exact command word; the person's own language wins a shared word."""
    meanings = vocabulary.commands.get(typed)
    if not meanings:
        return None
    for code, name in meanings:
        if code == lang:
            return code, name
    return meanings[0]


def _run_command(flows: Flows, state: State, command: str, now: datetime) -> Turn:
    if command == "menu":
        return nodes.show(flows, state, flows.start, now, push=False, outcome="command:menu")
    if command == "back":
        if not state.history:
            return nodes.show(flows, state, flows.start, now, push=False, outcome="command:back")
        back = replace(state, history=state.history[:-1])
        return nodes.show(flows, back, state.history[-1], now, push=False, outcome="command:back")
    if command in ("more", "repeat") and state.stage == "photo":
        return _photo_view(flows, state, now, state.page + 1 if command == "more" else 0)
    if command == "more" and state.stage == "place" and state.item:
        return _place_answer(flows, state, _meaning(state.item).target, now, page=state.page + 1)
    if command == "more":
        return nodes.show(flows, state, state.node, now, push=False, page=state.page + 1, outcome="command:more")
    if command == "language":
        return nodes.show(flows, state, flows.language_node, now, outcome="command:language")
    if command == "repeat" and state.stage == "place" and state.item:
        return _place_answer(flows, state, _meaning(state.item).target, now)
    if command == "repeat":
        return nodes.repeat(flows, state, now)
    if command == "help":
        return _help(flows, state, now)
    raise ValueError(f"no such command: {command}")  # the flow loader allows only the commands above


def _option(vocabulary: Vocabulary, state: State, picks: tuple[nodes.Pick, ...], typed: str) -> nodes.Pick | None:
    for pick in picks:
        if typed == pick.key:
            return pick
    key = vocabulary.labels.get((state.lang, state.node), {}).get(typed)
    return next((p for p in picks if p.key == key), None) if key else None


def _follow(flows: Flows, state: State, pick: nodes.Pick, now: datetime) -> Turn:
    if isinstance(pick, nodes.ShowEvent | nodes.Remind):
        event = flows.event(pick.event_id)
        if event is None:  # only picks made from the loaded events exist, so this cannot be; say so if it is
            return nodes.brief(flows, state, (Say.of("system:unknown"),), "unknown", now)
        return nodes.show_event(flows, state, event, now) if isinstance(pick, nodes.ShowEvent) else nodes.remind(
            flows, state, event, now)
    if pick.language:
        first_choice = state.node == flows.language_node and not state.history
        state = replace(state, lang=pick.language)
        target = pick.target or flows.start
        hello = (Say.of("system:welcome"),) if first_choice else ()
        return nodes.show(flows, state, target, now, before=hello, push=target != flows.start, outcome="language")
    assert pick.target is not None  # the loader refuses an option with neither a target nor a language
    return nodes.show(flows, state, pick.target, now)




def _switch_language(flows: Flows, state: State, lang: str, now: datetime) -> Turn:
    state = replace(state, lang=lang)
    node = state.node if state.node != flows.language_node else flows.start
    return nodes.show(flows, state, node, now, push=False, outcome="language")


def _place_answer(flows: Flows, state: State, place_id: str, now: datetime, page: int = 0) -> Turn:
    """A kind of place: what protects it, and that agents can still stop people in its public areas. It is kept
    in the state, so MORE pages this answer and not the menu under it."""
    place = next(p for p in flows.places if p.id == place_id)
    says: tuple[Say, ...] = (Say(place.note),)
    if place.protection != "none":  # the entry for places with no rule says this itself, in its own words
        says = (Say.of("system:place_found", name=MessageRef(place.name), note=MessageRef(place.note)),
                Say.of("system:public_areas"))
    at = replace(state, stage="node", item=None)
    turn = nodes.brief(flows, at, says, "place", now)
    kept = replace(at, stage="place", item=f"place:{place_id}", page=page)
    return replace(turn, state=kept, page=page)


def _welcome(flows: Flows, vocabulary: Vocabulary, text: str, found: tuple[str, str] | None,
             now: datetime) -> Turn:
    """A first message: answered in the language it is written in, with one line about the line after the
    answer; a hello gets the menu; every language by its own name only when the language cannot be told."""
    typed = match.normalize(text)
    greeted = _greeting(vocabulary, typed)
    named = vocabulary.named_language(typed)
    guess = vocabulary.guesser.guess(text)
    lang = named or greeted or (found[0] if found else None) or guess.lang
    if lang is not None:
        state = State(flows.start, lang)
        answer = None if found or typed in vocabulary.greetings else _understood(flows, vocabulary, state, text, now)
        if answer is not None:
            return _first_note(answer)
        if named or greeted or found or guess.sure:
            return nodes.show(flows, state, flows.start, now, before=(Say.of("system:welcome"),), push=False,
                              outcome="welcome")
    if guess.other:
        # Written in a language the line does not speak: say which it does, each in its own words.
        offered = tuple(flows.languages[code].name for code in flows.enabled_languages)
        return Turn((Say.of("system:languages_offered", lang="en", languages=", ".join(offered)),),
                    State(flows.language_node, "en"), "en", flows.language_node, (), outcome="welcome:other",
                    footer=False)
    # Not known which language: one short line in each, each with its own digit.
    says = tuple(Say.of("system:choose_language", lang=option.language, key=option.key)
                 for option in flows.nodes[flows.language_node].options
                 if option.language in flows.enabled_languages)
    state = State(flows.language_node, "en")
    return Turn(says, state, "en", state.node, (), outcome="welcome", footer=False)


def _greeting(vocabulary: Vocabulary, typed: str) -> str | None:
    """The language of a greeting the message is or starts with ("hola", "hola buenas", "你好啊")."""
    lang = vocabulary.greetings.get(typed)
    words = typed.split()
    for size in (2, 1):
        lang = lang or vocabulary.greetings.get(" ".join(words[:size]))
    if lang is None and typed and not typed.isascii():
        # "你好啊", "مرحبا بك": a greeting at the start, with no space after it to split on.
        lang = next((code for greeting, code in vocabulary.greetings.items()
                     if len(greeting) >= 2 and not greeting.isascii() and typed.startswith(greeting)), None)
    return lang


def _first_note(answer: Turn) -> Turn:
    """The first reply to a new number answers first, then says in one line what the line is: no cost from
    it, how to stop, what it keeps, how to change language. A menu's question stays last, by its choices."""
    note = Say.of("system:first_note")
    says = (*answer.says[:-1], note, answer.says[-1]) if answer.options else (*answer.says, note)
    # A first reply has no way back yet: without the footer, a question and its choices fit on one screen.
    return replace(answer, says=says, outcome="welcome:answered", footer=answer.footer and not answer.options)


# ---------------------------------------------------------------- calls


def _call(flows: Flows, vocabulary: Vocabulary, state: State | None, said: Input, now: datetime) -> Turn:
    """A call's keys, words or silence at its position; a call with no position (or one that no longer fits
    the flows) starts over."""
    if state is None:
        return _call_start(flows, now)
    heard = said.digits if isinstance(said, Keys) else said.text if isinstance(said, Speech) else ""
    if not heard.strip():
        return _silence(flows, state, now)
    state = replace(state, silences=0)
    if state.stage == "language":
        return _pick_language(flows, vocabulary, state, said, now)
    if isinstance(said, Keys):
        digits = said.digits.strip()
        command = CALL_KEYS.get(digits)
        if command is None and not nodes.picks(flows, state, now):
            command = AFTER_SCRIPT_KEYS.get(digits)
        if command == "text":
            sent = nodes.brief(flows, state, (Say.of("system:voice_text_sent"),), "text", now)
            return replace(sent, effects=(TextRequested(state.node, state.lang, state.item),))
        if command == "language":
            return _language_stage(flows, ())
        if command:
            return _run_command(flows, state, command, now)
        if len(digits) != 1 or not digits.isdigit():
            return nodes.brief(flows, state, (Say.of("system:voice_not_option"),), "unknown", now)
    found = _command(vocabulary, match.command_form(heard), state.lang)  # commands are keyed in command form
    if found and found[1] in TEXT_ONLY_COMMANDS:
        return nodes.brief(flows, state, (Say.of("system:voice_not_option"),), "unknown", now)
    if found and found[1] == "start":
        return _anywhere(flows, found, now)
    if found and found[1] == "language":
        return _language_stage(flows, ())
    return _words(flows, vocabulary, state, heard, found, now)


def _call_start(flows: Flows, now: datetime) -> Turn:
    voiced = flows.voiced_languages
    first = voiced[0] if voiced else "en"
    if len(voiced) > 1:
        return _language_stage(flows, (Say.of("system:voice_welcome", lang=first),))
    menu = nodes.show(flows, State(flows.start, first), flows.start, now, push=False, outcome="welcome")
    return replace(menu, says=(Say.of("system:voice_welcome"), *_text_only(flows, first),
                               Say.of("system:voice_keys"), *menu.says))


def _language_stage(flows: Flows, before: tuple[Say, ...], silences: int = 0) -> Turn:
    """Each language offered in its own voice; one served only by text is named in the first voice."""
    voiced = flows.voiced_languages
    first = voiced[0] if voiced else "en"
    offers = tuple(Say.of("system:voice_choose_language", lang=option.language, key=option.key)
                   for option in _language_options(flows))
    state = State(flows.language_node, first, stage="language", silences=silences)
    names = tuple(flows.languages[code].name for code in voiced)
    return Turn((*before, *offers, *_text_only(flows, first)), state, first, None, outcome="choose_language",
                footer=False, hints=names)


def _language_options(flows: Flows) -> list[Option]:
    voiced = flows.voiced_languages
    return [o for o in flows.nodes[flows.language_node].options if o.language in voiced]


def _text_only(flows: Flows, lang: str) -> tuple[Say, ...]:
    """Languages this line serves by text but cannot speak, named in a voice it has."""
    return tuple(Say.of("system:voice_text_only", lang=lang, language=flows.languages[code].name)
                 for code in flows.enabled_languages if not flows.languages[code].voice)


def _pick_language(flows: Flows, vocabulary: Vocabulary, state: State, said: Input, now: datetime) -> Turn:
    chosen = None
    if isinstance(said, Keys):
        chosen = next((o.language for o in _language_options(flows) if o.key == said.digits.strip()), None)
    elif isinstance(said, Speech):
        heard = match.normalize(said.text)
        for words in (heard, *heard.split()):
            chosen = vocabulary.language_names.get(words) or vocabulary.greetings.get(words)
            if chosen:
                break
    if chosen is None or chosen not in flows.voiced_languages:
        again = isinstance(said, Keys) and said.digits.strip() in ("*", "#")
        return _language_stage(flows, () if again else (Say.of("system:voice_not_option", lang=state.lang),))
    menu = nodes.show(flows, State(flows.start, chosen), flows.start, now, push=False, outcome="language")
    return replace(menu, says=(Say.of("system:voice_keys"), *menu.says))


def _silence(flows: Flows, state: State, now: datetime) -> Turn:
    silences = state.silences + 1
    if silences > MAX_SILENCES:
        return _goodbye(flows, state.lang)
    if state.stage == "language":
        return _language_stage(flows, (Say.of("system:voice_silence", lang=state.lang),), silences)
    turn = nodes.brief(flows, state, (Say.of("system:voice_silence"),), "silence", now)
    return replace(turn, state=replace(state, page=0, silences=silences))


def _goodbye(flows: Flows, lang: str) -> Turn:
    """After silence upon silence: the help lines to call, then goodbye. Never a dead end."""
    says = (Say.of("system:voice_help_lines"),
            *(Say.of("system:voice_hotline", name=MessageRef(h.name), phone=h.phone) for h in flows.hotlines),
            Say.of("system:voice_goodbye"))
    return Turn(says, None, lang, outcome="goodbye", footer=False, hangup=True)


def _on_call(turn: Turn, facts: Facts) -> Turn:
    """A turn as a call tells it: a text it asks for goes only where one can be sent, and says what happens
    if it cannot be queued; after a script, the keys that repeat it or send it are offered."""
    if turn.effects:
        if not facts.can_text:
            turn = replace(turn, says=(Say.of("system:voice_text_us_only"),), effects=(), outcome="text:not_us")
        elif facts.texts_paused:
            turn = replace(turn, says=(Say.of("system:voice_texts_paused"),), effects=(), outcome="text:paused")
        else:
            turn = replace(turn, if_effects_fail=(Say.of("system:voice_text_failed"),))
    if turn.state is not None and turn.state.stage == "node" and not turn.options:
        after = Say.of("system:voice_after_script")
        turn = replace(turn, says=(*turn.says, after),
                       if_effects_fail=(*turn.if_effects_fail, after) if turn.if_effects_fail else ())
    return turn
