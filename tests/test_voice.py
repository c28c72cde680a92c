"""Calls through the signed /voice webhook: every node by keypad in each language, speech, the keys that
work everywhere, silence, bad input, texts and reminders asked for by phone, and a call with Redis down."""

from __future__ import annotations

from urllib.parse import parse_qs
from xml.etree import ElementTree

import pytest

from bot.chat import hear
from tests.helpers import (
    FLOWS,
    LANGUAGE_KEYS,
    PATHS,
    TRANSLATOR,
    VOICED,
    call_in,
    make_caller,
    offered,
    spoken,
    well_formed,
)

NUMBER = "+15055550123"


@pytest.fixture
def caller(client):
    return make_caller(client, NUMBER)


# ---------------------------------------------------------------- the whole tree


def test_the_call_opens_with_a_greeting_and_each_language_in_its_own_voice(caller):
    heard = caller.dial()
    assert heard.said[0][2].startswith("Welcome to Rights Line")
    for lang in VOICED:
        offer = TRANSLATOR.text(lang, "system:voice_choose_language").format(key=LANGUAGE_KEYS[lang])
        language = FLOWS.languages[lang]
        assert (language.voice, language.voice_language, offer) in heard.said


@pytest.mark.parametrize("lang", VOICED)
@pytest.mark.parametrize("node_id", sorted(PATHS))
def test_every_node_can_be_reached_by_keypad_in_each_language(caller, lang, node_id):
    heard = call_in(caller, lang)
    for key in PATHS[node_id]:
        heard = caller.press(key)
        well_formed(caller.last_xml, lang)
    assert spoken(lang, node_id) in heard.text
    node = FLOWS.nodes[node_id]
    for option in offered(node_id):
        label = TRANSLATOR.text(lang, option.label) if not option.language else FLOWS.languages[option.language].name
        assert TRANSLATOR.text(lang, "system:voice_option").format(label=label, key=option.key) in heard.text
    if not node.options and node.data != "events":
        assert spoken(lang, "system:voice_after_script") in heard.text
    if lang != "en":  # nothing said in English: every sentence is in the caller's language
        assert "press" not in heard.text and "Main menu" not in heard.text
        assert FLOWS.strings[node_id].split(". ")[0] not in heard.text
    assert "{" not in heard.text and "}" not in heard.text  # every placeholder filled


def test_speech_is_heard_in_the_language_with_the_menu_as_hints(caller):
    heard = call_in(caller, "es")
    assert heard.gather["input"] == "dtmf speech" and heard.gather["language"] == "es-MX"
    assert "Dónde se exige orden judicial" in heard.gather["hints"]
    heard = caller.say("lugares seguros")
    assert spoken("es", "safe:menu") in heard.text


def test_a_spoken_answer_with_typos_or_in_another_language_is_still_understood(caller):
    call_in(caller, "en")
    assert spoken("en", "safe:menu") in caller.say("Safe plases.").text
    caller.press("0")
    assert spoken("en", "rights:menu") in caller.say("your rihgts").text
    caller.press("0")
    assert spoken("en", "safe:menu") in caller.say("lugares seguros").text


# ---------------------------------------------------------------- the keys that work everywhere


def test_star_repeats_zero_is_the_menu_nine_goes_back_and_pound_changes_language(caller):
    call_in(caller, "en")
    caller.press("1")
    door = caller.press("1").text
    assert caller.press("*").text == door
    assert spoken("en", "rights:menu") in caller.press("9").text
    assert spoken("en", "main:menu") in caller.press("0").text
    heard = caller.press("#")
    assert "Para español, oprima 2." in heard.text
    assert spoken("es", "main:menu") in caller.press("2").text


def test_after_a_script_one_repeats_it_and_two_sends_it_by_text(caller, redis_client):
    call_in(caller, "es")
    caller.press("1")
    door = caller.press("1")
    assert spoken("es", "system:voice_after_script") in door.text
    assert caller.press("1").text == door.text
    heard = caller.press("2")
    assert spoken("es", "system:voice_text_sent") in heard.text
    assert redis_client.llen("rq:queue:reminders") == 1  # one job, for the worker to send


def test_a_text_is_only_sent_to_a_us_number(client, redis_client):
    caller = make_caller(client, "+447700900123")
    call_in(caller, "en")
    caller.press("1")
    caller.press("1")
    assert spoken("en", "system:voice_text_us_only") in caller.press("2").text
    assert redis_client.llen("rq:queue:reminders") == 0


def test_help_said_on_a_call_gives_911_the_help_lines_and_the_keys_not_how_to_stop_texts(caller):
    call_in(caller, "en")
    heard = caller.say("help").text
    assert heard.startswith(spoken("en", "system:help_911"))
    assert all(hotline.phone in heard for hotline in FLOWS.hotlines)
    assert spoken("en", "system:voice_keys") in heard and "STOP" not in heard


def test_silence_is_asked_about_twice_then_the_help_lines_and_goodbye(caller):
    call_in(caller, "en")
    for _ in range(2):
        heard = caller.silent()
        well_formed(caller.last_xml, "en")
        assert heard.text.startswith("I did not hear a choice.") and not heard.hung_up
    heard = caller.silent()
    well_formed(caller.last_xml, "en")
    assert heard.hung_up and "Goodbye" in heard.text
    for hotline in FLOWS.hotlines:
        assert hotline.phone in heard.text


def test_silence_while_choosing_a_language_asks_again(caller):
    caller.dial()
    heard = caller.silent()
    well_formed(caller.last_xml, None)
    assert "For English, press 1." in heard.text and not heard.hung_up


@pytest.mark.parametrize("keys", ["", "*", "#", "99", "abc", "1" * 1000, "8", "5" * 2])
def test_any_key_at_any_menu_gets_a_valid_answer(caller, keys):
    call_in(caller, "en")
    caller.press("2")
    heard = caller.press(keys)
    well_formed(caller.last_xml, None if keys == "#" else "en")  # pound offers every language in its voice
    assert heard.action and not heard.hung_up


def test_a_key_that_is_no_option_says_so_and_offers_the_menu_again(caller):
    call_in(caller, "en")
    heard = caller.press("8")
    assert heard.text.startswith("That is not an option.") and "For your rights" not in heard.text
    assert "For Your rights, press 1." in heard.text


@pytest.mark.parametrize("form", [{}, {"Digits": "1"}, {"SpeechResult": ""}, {"From": ""}])
def test_a_request_missing_its_parameters_still_gets_a_valid_answer(client, form):
    caller = make_caller(client, NUMBER)
    xml = caller.post("/voice?s=node&n=main:menu&l=en", form)
    assert caller.last_status == 200
    well_formed(xml, "en")


@pytest.mark.parametrize("query", ["s=node&n=nowhere:at_all&l=en", "s=node&n=main:menu&l=xx", "s=bogus",
                                   "s=node&n=main:menu&l=en&t=abc&h=,,,nope", "s=node&n=main:menu&l=en&h=main:gone",
                                   "s=node&n=main:events&l=en&i=no_such_event"])
def test_a_position_that_no_longer_fits_the_flows_starts_the_call_over(client, query):
    caller = make_caller(client, NUMBER)
    xml = caller.post(f"/voice?{query}", {"Digits": "1"})
    assert caller.last_status == 200
    well_formed(xml, None)
    heard = hear(xml)  # the key pressed counts for nothing: the call begins again, with the choice of language
    assert heard.said[0][2] == spoken("en", "system:voice_welcome") + "."
    assert heard.action == "/voice?s=language"


# ---------------------------------------------------------------- signatures


def test_an_unsigned_or_altered_request_is_refused(client, caller):
    assert client.post("/voice", data={"From": NUMBER}).status_code == 403
    call_in(caller, "en")
    signed_for = caller.heard.action
    signature = caller.validator.compute_signature(f"http://localhost{signed_for}", {"Digits": "1"})
    altered = signed_for.replace("main:menu", "rights:door")
    response = client.post(altered, data={"Digits": "1"}, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


# ---------------------------------------------------------------- Redis down


def test_a_whole_call_works_with_redis_down(overrides):
    from bot.web import create_app

    app = create_app({**overrides, "redis_url": "redis://127.0.0.1:1/0"})  # nothing listens there
    caller = make_caller(app.test_client(), NUMBER)
    call_in(caller, "es")
    for key in ("1", "1", "*", "9", "2", "0", "4"):
        caller.press(key)
        well_formed(caller.last_xml, "es")
    assert spoken("es", "main:help") in caller.heard.text
    caller.press("9")
    caller.press("1")
    caller.press("1")
    assert spoken("es", "system:voice_text_failed") in caller.press("2").text


def test_twilio_reads_the_first_answer_as_one_gather_to_the_language_choice_then_a_redirect_for_silence(caller):
    """Twilio runs the verbs in order. Everything is said inside the Gather, so a key cuts the greeting
    short; keys are POSTed (the webhook takes nothing else) to the language choice; and on silence Twilio
    goes on to the next verb, the Redirect, only because actionOnEmptyResult is not true."""
    caller.dial()
    root = ElementTree.fromstring(caller.last_xml)
    assert [child.tag for child in root] == ["Gather", "Redirect"]
    gather, redirect = root
    assert "Say" in {child.tag for child in gather}
    assert gather.get("method", "POST") == "POST" and redirect.get("method", "POST") == "POST"
    assert gather.get("actionOnEmptyResult", "false") == "false"
    for url in (gather.get("action"), redirect.text):
        path, _, query = url.partition("?")
        assert path == "/voice" and parse_qs(query)["s"] == ["language"], url


def test_a_word_heard_on_a_call_never_unsubscribes_or_forgets_anybody(caller, redis_client):
    from bot import store
    from tests.helpers import SECRET

    call_in(caller, "en")
    for words in ("stop", "forget", "borrar"):
        assert caller.say(words).text.startswith("That is not an option.")
    sender = store.sender_key(SECRET, NUMBER)
    redis_client.sadd(f"rl:r:{sender}", "reminder-pending")  # a reminder this caller asked for by text
    caller.say("stop")
    assert redis_client.sismember(f"rl:r:{sender}", "reminder-pending")
