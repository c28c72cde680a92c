"""A call's rules, at the engine, with no HTTP: the keys that work everywhere, the keys after a script, silence
and goodbye, the language stage, texts asked for by phone, and the State that rides in the signed URL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot import engine, voice
from bot.flow import Event, Offset
from bot.turn import (
    Facts,
    Keys,
    Message,
    ReminderRequested,
    Say,
    Silence,
    Speech,
    State,
    TextRequested,
)
from bot.vocabulary import Vocabulary
from tests.helpers import FLOWS, TRANSLATOR, VOICED

NOW = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
VOCABULARY = Vocabulary.build(FLOWS, TRANSLATOR.text)
CAN_TEXT, CANNOT_TEXT = Facts(can_text=True), Facts(can_text=False)
AT_MENU = State("main:menu", "es")
AT_DOOR = State("rights:door", "es", ("main:menu", "rights:menu"))  # a script: nothing to pick there


def call(state, said, facts=CAN_TEXT, flows=FLOWS):
    return engine.step(flows, VOCABULARY, state, said, NOW, facts)


def ids(turn) -> list[str]:
    return [say.id for say in turn.says]


# ---------------------------------------------------------------- the start and the language stage


def test_a_call_with_no_position_opens_with_a_welcome_and_each_language_in_its_own_words():
    turn = call(None, Silence())
    assert turn.says[0] == Say.of("system:voice_welcome", lang=VOICED[0])
    offers = [say for say in turn.says if say.id == "system:voice_choose_language"]
    assert [say.lang for say in offers] == VOICED  # each said in its own language, and so its own voice
    assert turn.state.stage == "language" and turn.options == ()
    assert set(turn.hints) == {FLOWS.languages[code].name for code in VOICED}


def test_keys_pressed_before_any_position_still_start_the_call():
    assert call(None, Keys("1")) == call(None, Silence())


@pytest.mark.parametrize("lang", VOICED)
def test_a_key_at_the_language_stage_opens_the_main_menu_in_that_language(lang):
    stage = call(None, Silence()).state
    key = next(o.key for o in FLOWS.nodes[FLOWS.language_node].options if o.language == lang)
    turn = call(stage, Keys(key))
    assert turn.lang == lang and turn.state == State(FLOWS.start, lang)
    assert ids(turn)[:2] == ["system:voice_keys", FLOWS.start]
    assert [choice.key for choice in turn.options] == [o.key for o in FLOWS.nodes[FLOWS.start].options]


def test_a_language_named_aloud_is_picked():
    stage = call(None, Silence()).state
    assert call(stage, Speech("Español, por favor")).lang == "es"


@pytest.mark.parametrize("keys, complaint", [("8", True), ("12", True), ("*", False), ("#", False)])
def test_a_wrong_key_at_the_language_stage_offers_the_languages_again(keys, complaint):
    stage = call(None, Silence()).state
    turn = call(stage, Keys(keys))
    assert turn.state.stage == "language"
    assert (ids(turn)[0] == "system:voice_not_option") is complaint


# ---------------------------------------------------------------- the keys that work everywhere


def test_star_says_again_what_was_just_said():
    arrived = call(AT_MENU, Keys("1"))
    again = call(arrived.state, Keys("*"))
    assert again.says == arrived.says and again.state == arrived.state


def test_zero_is_the_main_menu_and_nine_goes_back_one_step():
    assert call(AT_DOOR, Keys("0")).state == State(FLOWS.start, "es")
    back = call(AT_DOOR, Keys("9"))
    assert back.state.node == "rights:menu" and back.state.history == ("main:menu",)


def test_pound_or_the_word_language_offers_the_languages():
    assert call(AT_DOOR, Keys("#")).state.stage == "language"
    assert call(AT_DOOR, Speech("idioma")).state.stage == "language"


@pytest.mark.parametrize("keys", ["12", "abc", "1" * 100, "*#"])
def test_keys_that_are_no_single_choice_are_refused_and_the_menu_offered_again(keys):
    turn = call(AT_MENU, Keys(keys))
    assert ids(turn)[0] == "system:voice_not_option"
    assert turn.state.node == AT_MENU.node and turn.options


# ---------------------------------------------------------------- after a script


def test_a_script_ends_with_the_keys_that_repeat_it_or_send_it():
    turn = call(State("rights:menu", "es", ("main:menu",)), Keys("1"))
    assert turn.state.node == "rights:door" and not turn.options
    assert ids(turn)[-1] == "system:voice_after_script"


def test_after_a_script_one_says_it_again():
    heard = call(State("rights:menu", "es", ("main:menu",)), Keys("1"))
    assert call(heard.state, Keys("1")).says == heard.says


def test_after_a_script_two_asks_for_it_by_text_and_says_what_to_say_if_that_fails():
    turn = call(AT_DOOR, Keys("2"))
    assert turn.effects == (TextRequested("rights:door", "es", None),)
    assert ids(turn)[0] == "system:voice_text_sent"
    failed = turn.effects_failed()
    assert failed.effects == () and ids(failed)[0] == "system:voice_text_failed"


def test_a_caller_who_cannot_be_texted_is_told_so_and_nothing_is_asked_of_the_edge():
    turn = call(AT_DOOR, Keys("2"), CANNOT_TEXT)
    assert turn.effects == () and ids(turn)[0] == "system:voice_text_us_only"


def test_at_a_menu_one_and_two_are_its_options_not_the_script_keys():
    turn = call(AT_MENU, Keys("2"))
    assert turn.state.node == "safe:menu" and turn.effects == ()


# ---------------------------------------------------------------- silence


def test_silence_asks_again_twice_then_gives_the_help_lines_and_hangs_up():
    first = call(AT_MENU, Silence())
    assert ids(first)[0] == "system:voice_silence" and first.state.silences == 1 and first.options
    second = call(first.state, Silence())
    assert second.state.silences == 2 and not second.hangup
    last = call(second.state, Silence())
    assert last.hangup and last.state is None
    assert ids(last)[0] == "system:voice_help_lines" and ids(last)[-1] == "system:voice_goodbye"
    assert [dict(say.params).get("phone") for say in last.says[1:-1]] == [h.phone for h in FLOWS.hotlines]


def test_an_answer_after_a_silence_starts_the_count_again():
    quiet = call(AT_MENU, Silence()).state
    assert call(quiet, Keys("*")).state.silences == 0


def test_silence_at_the_language_stage_offers_the_languages_again_then_says_goodbye():
    stage = call(None, Silence()).state
    once = call(stage, Silence())
    assert once.state.stage == "language" and once.state.silences == 1
    assert call(call(once.state, Silence()).state, Silence()).hangup


def test_keys_or_words_that_are_empty_are_a_silence():
    assert call(AT_MENU, Keys(" ")) == call(AT_MENU, Silence())
    assert call(AT_MENU, Speech("")) == call(AT_MENU, Silence())


# ---------------------------------------------------------------- words heard on a call


@pytest.mark.parametrize("words", ["stop", "STOP", "forget", "borrar", "cancelar"])
def test_a_word_heard_on_a_call_never_unsubscribes_or_forgets(words):
    turn = call(AT_MENU, Speech(words))
    assert turn.effects == () and turn.state is not None


def test_the_same_word_by_text_does_unsubscribe():
    assert engine.step(FLOWS, VOCABULARY, AT_MENU, Message("stop"), NOW).effects


def test_a_spoken_label_follows_the_menu():
    assert call(AT_MENU, Speech("lugares seguros")).state.node == "safe:menu"


# ---------------------------------------------------------------- a reminder asked for by phone


def flows_with_an_event_tomorrow():
    start = NOW + timedelta(days=2)
    event = Event("tomorrow", start, None, "Main library", None, None, "es", FLOWS.events[0].source,
                  (Offset.parse("1 hour before"),))
    strings = {**FLOWS.strings, "events:tomorrow/title": "A training"}
    return replace(FLOWS, events=(event,), strings=strings)


def test_a_reminder_asked_for_on_a_call_is_an_effect_only_for_a_number_that_can_be_texted():
    flows = flows_with_an_event_tomorrow()
    looking = State("main:events", "es", ("main:menu",), item="tomorrow")
    turn = call(looking, Keys("1"), flows=flows)
    assert turn.effects == (ReminderRequested("tomorrow", "es"),)
    assert ids(turn.effects_failed())[0] == "system:voice_text_failed"
    refused = call(looking, Keys("1"), CANNOT_TEXT, flows=flows)
    assert refused.effects == () and ids(refused)[0] == "system:voice_text_us_only"


# ---------------------------------------------------------------- the State in the signed URL


@pytest.mark.parametrize("state", [
    State("rights:door", "es", ("main:menu", "rights:menu")),
    State("main:menu", "vi", silences=2),
    State(FLOWS.language_node, VOICED[0], stage="language", silences=1),
])
def test_a_state_survives_the_trip_through_the_url(state):
    query = voice.url(state).split("?", 1)[1]
    args = dict(pair.split("=", 1) for pair in query.split("&"))
    args = {key: value.replace("%3A", ":").replace("%2C", ",") for key, value in args.items()}
    assert voice.state_of(args, FLOWS) == state


@pytest.mark.parametrize("args", [
    {}, {"s": "bogus"}, {"s": "node", "n": "nowhere:at_all", "l": "en"}, {"s": "node", "n": "main:menu", "l": "xx"},
    {"s": "node", "n": "main:menu", "l": "en", "t": "abc"}, {"s": "node", "n": "main:menu", "l": "en", "h": ",,,"},
    {"s": "node", "n": "main:menu", "l": "en", "h": "main:gone"}, {"s": "node", "n": "main:events", "l": "en",
                                                                   "i": "no_such_event"},
])
def test_a_url_that_does_not_fit_the_flows_is_no_position_at_all(args):
    assert voice.state_of(args, FLOWS) is None


def test_the_redirect_after_a_gather_is_heard_as_silence_whatever_the_form_holds():
    assert voice.heard({"q": "1"}, {"Digits": "1"}) == Silence()
    assert voice.heard({}, {"Digits": " 1 ", "SpeechResult": "help"}) == Keys("1")
    assert voice.heard({}, {"SpeechResult": "help"}) == Speech("help")
    assert voice.heard({}, {}) == Silence()
