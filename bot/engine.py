"""The conversation engine: pure. The flows, where the person is, what they sent and the time in; a Turn out.
One step for every channel: a text, keys or words on a call, or a call's silence, each a typed input."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot import match, nodes
from bot.flow import Flows, Option
from bot.turn import (
    TEXTABLE_AND_REMEMBERED,
    Facts,
    ForgetRequested,
    Input,
    Keys,
    Message,
    MessageRef,
    OptOutRequested,
    Say,
    Speech,
    State,
    TextRequested,
    Turn,
)
from bot.vocabulary import Vocabulary

MAX_SILENCES = 2  # a silent caller is asked again twice, then told the help lines and goodbye
# The keys that work everywhere on a call, as the commands they stand for.
CALL_KEYS = {"*": "repeat", "0": "menu", "9": "back", "#": "language"}
# After a script (a place with nothing to pick): hear it again, or have it sent by text.
AFTER_SCRIPT_KEYS = {"1": "repeat", "2": "text"}
QUESTION_MARKS = ("?", "\uff1f", "\u061f")  # Latin, full-width (Chinese) and Arabic
# Commands a word heard on a call never carries out: a misheard word must not unsubscribe or erase anybody.
TEXT_ONLY_COMMANDS = ("stop", "forget")


# ---------------------------------------------------------------- one step


def step(flows: Flows, vocabulary: Vocabulary, state: State | None, said: Input, now: datetime,
         facts: Facts = TEXTABLE_AND_REMEMBERED) -> Turn:
    """What to answer to what the person sent (`said`), where they are (`state`; None: nowhere yet), at `now`."""
    if isinstance(said, Message):
        return _text(flows, vocabulary, state, said.text, now, facts)
    return _on_call(_call(flows, vocabulary, state, said, now), facts)


# ---------------------------------------------------------------- texts


def _text(flows: Flows, vocabulary: Vocabulary, state: State | None, text: str, now: datetime,
          facts: Facts) -> Turn:
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
    if phrase and phrase[1] == "forget" and text.rstrip().endswith(QUESTION_MARKS):
        phrase = None  # "will ICE delete my data?" asks about records; it does not ask the line to forget
    if phrase and phrase[1] == "stop":
        return _anywhere(flows, phrase, now, state)  # any reasonable wording revokes consent (47 CFR 64.1200)
    if phrase:
        return _confirm_forget(flows, state, phrase[0])
    turn = _answer(flows, vocabulary, state, match.normalize(text), found, now)
    if vocabulary.mentions_stop(words):  # "the bus stop", or a real wish to stop: either way, say how
        turn = replace(turn, says=(*turn.says, Say.of("system:stop_hint")))
    return turn


def _answer(flows: Flows, vocabulary: Vocabulary, state: State | None, typed: str, found: tuple[str, str] | None,
            now: datetime) -> Turn:
    if state is None:
        if found and found[1] == "help":
            state = State(flows.start, found[0])
            return nodes.show(flows, state, flows.start, now, before=(Say.of("system:help"),), push=False,
                              outcome="command:help")
        return _welcome(flows, vocabulary, typed, found, now)
    return _words(flows, vocabulary, state, typed, found, now)


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


def _words(flows: Flows, vocabulary: Vocabulary, state: State, typed: str, found: tuple[str, str] | None,
           now: datetime) -> Turn:
    """What typed (or heard) words mean where the person is, in the order tried: a command word, an option's
    key or label, a language's name, a flyer keyword, a place, then a guess at a misspelling."""
    if found:
        word_lang, command = found
        if word_lang != state.lang and command in ("help", "language"):
            state = replace(state, lang=word_lang)  # "AYUDA" from an English session: answer in Spanish
        return _run_command(flows, state, command, now)
    node = flows.nodes[state.node]
    if not typed:
        return nodes.brief(flows, state, (Say.of("system:empty"),), "unknown", now)
    offered = nodes.picks(flows, state, now)
    picked = _option(vocabulary, state, offered, typed)
    if picked:
        return _follow(flows, state, picked, now)
    if typed in vocabulary.language_names:
        return _switch_language(flows, state, vocabulary.language_names[typed], now)
    if typed in vocabulary.keywords:
        return nodes.show(flows, state, vocabulary.keywords[typed][0], now, outcome="keyword")
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
            return _follow(flows, state, next(p for p in offered if p.key == value), now)
        if kind == "command":
            return _run_command(flows, state, value, now)
        if kind == "node":
            return nodes.show(flows, state, value, now, outcome="keyword")
        return _switch_language(flows, state, value, now)
    return nodes.brief(flows, state, (Say.of("system:unknown"),), "unknown", now)


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
    if command == "more":
        return nodes.show(flows, state, state.node, now, push=False, page=state.page + 1, outcome="command:more")
    if command == "language":
        return nodes.show(flows, state, flows.language_node, now, outcome="command:language")
    if command == "repeat":
        return nodes.repeat(flows, state, now)
    if command == "help":
        return nodes.brief(flows, state, (Say.of("system:help"),), "command:help", now)
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


def _place_answer(flows: Flows, state: State, place_id: str, now: datetime) -> Turn:
    place = next(p for p in flows.places if p.id == place_id)
    says = (Say.of("system:place_found", name=MessageRef(place.name)), Say(place.note))
    return nodes.brief(flows, state, says, "place", now)


def _welcome(flows: Flows, vocabulary: Vocabulary, typed: str, found: tuple[str, str] | None,
             now: datetime) -> Turn:
    """A first message: start in the language it is written in, or offer every language by its own name."""
    lang = vocabulary.greetings.get(typed) or vocabulary.language_names.get(typed) or (found[0] if found else None)
    if lang is None:
        for word in typed.split():
            lang = vocabulary.greetings.get(word) or vocabulary.language_names.get(word)
            if lang:
                break
    if lang is None and typed and not typed.isascii():
        # "你好啊", "مرحبا بك": a greeting at the start, with no space after it to split on.
        lang = next((code for greeting, code in vocabulary.greetings.items()
                     if len(greeting) >= 2 and not greeting.isascii() and typed.startswith(greeting)), None)
    shortcut, shortcut_lang = vocabulary.keywords.get(typed, (None, None))
    if lang is None and shortcut is None:
        # Not yet known which language: one short line in each, each with its own digit.
        says = tuple(Say.of("system:choose_language", lang=option.language, key=option.key)
                     for option in flows.nodes[flows.language_node].options
                     if option.language in flows.enabled_languages)
        state = State(flows.language_node, "en")
        return Turn(says, state, "en", state.node, (), outcome="welcome", footer=False)
    if shortcut and shortcut != flows.start:
        # A word from a flyer: straight to what it promised, in the flyer's language.
        return nodes.show(flows, State(flows.start, lang or shortcut_lang or "en"), shortcut, now, outcome="welcome")
    state = State(flows.start, lang or "en")
    return nodes.show(flows, state, flows.start, now, before=(Say.of("system:welcome"),), push=False,
                      outcome="welcome")


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
    typed = match.normalize(heard)
    found = _command(vocabulary, match.command_form(heard), state.lang)  # commands are keyed in command form
    if found and found[1] in TEXT_ONLY_COMMANDS:
        return nodes.brief(flows, state, (Say.of("system:voice_not_option"),), "unknown", now)
    if found and found[1] == "start":
        return _anywhere(flows, found, now)
    if found and found[1] == "language":
        return _language_stage(flows, ())
    return _words(flows, vocabulary, state, typed, found, now)


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
            turn = replace(turn, says=(Say.of("system:voice_text_us_only"),), effects=())
        else:
            turn = replace(turn, if_effects_fail=(Say.of("system:voice_text_failed"),))
    if turn.state is not None and turn.state.stage == "node" and not turn.options:
        after = Say.of("system:voice_after_script")
        turn = replace(turn, says=(*turn.says, after),
                       if_effects_fail=(*turn.if_effects_fail, after) if turn.if_effects_fail else ())
    return turn
