"""Whole SMS conversations through the signed /sms webhook on a real Redis, in English and Spanish."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from bot import segments
from tests.helpers import AUTH_TOKEN, FLOWS, PATHS, TRANSLATOR, make_phone, offered, said

GREETINGS = {"en": "hello", "es": "hola", "vi": "xin chào", "zh_Hans": "你好", "ar": "مرحبا"}


def every_page(phone, first: str, more: str, hint: str) -> str:
    """The first reply and every page after it, asking `more` while a page ends with `hint`."""
    pages = [first]
    while hint in pages[-1]:
        pages.append(phone(more))
    return "\n".join(pages)


def test_every_node_is_reached_by_the_walk():
    assert set(PATHS) == set(FLOWS.nodes)


@pytest.mark.parametrize("lang", FLOWS.enabled_languages)
@pytest.mark.parametrize("node_id", sorted(PATHS))
def test_every_node_can_be_reached_by_text_in_each_language(phone, lang, node_id):
    phone(GREETINGS[lang])
    reply = ""
    for key in PATHS[node_id]:
        reply = phone(key)
    if PATHS[node_id]:
        assert said(lang, node_id) in reply
        for option in offered(node_id):  # every choice on the first screen, never behind MORE
            assert f"{option.key} {TRANSLATOR.text(lang, option.label)}" in reply
    if lang != "en":
        assert FLOWS.strings[node_id][:40] not in reply  # no English leaking into another language's reply
        for english in ("Reply", "Menu - BACK", "MORE"):
            assert english not in reply
    assert "{" not in reply and "}" not in reply  # every placeholder filled


def test_a_first_text_in_no_known_language_offers_each_language_in_its_own_words(phone):
    reply = phone("xyz")
    assert "reply 1 for English." in reply
    assert "responda 2 para español." in reply
    spanish = phone("2")
    assert said("es", "system:welcome") in spanish  # welcomed in the chosen language
    assert said("es", "main:menu/1") in spanish


def test_a_spanish_greeting_starts_in_spanish(phone):
    reply = phone("Hola")
    assert "Línea de Derechos" in reply and "1 Sus derechos" in reply


def test_rights_at_the_door_in_english(phone):
    phone("hi")
    assert "Where are you?" in phone("1")
    reply = phone("1")
    assert "warrant signed by a judge" in reply and "I-200 and I-205" in reply
    assert "0 Menu - BACK" in reply


def test_a_long_spanish_script_is_paged_with_more(phone):
    phone("hola")
    phone("1")
    first = phone("1")
    assert "Responda MAS para ver el resto." in first
    assert segments.count(first) <= 3
    second = phone("MAS")
    script = TRANSLATOR.text("es", "rights:door")
    shown = first.removesuffix(TRANSLATOR.text("es", "system:more_hint")).strip()
    assert script.startswith(shown)  # the first page is the script's beginning,
    assert second.startswith(script[len(shown):].strip()[:40])  # and the second picks up where it stopped
    whole = first + every_page(phone, second, "más", "Responda MAS")
    for sentence in ("No abra.", "I-200 e I-205", "No firme nada sin un abogado."):
        assert sentence in whole
    assert "Eso fue todo." in phone("mas")


def test_back_and_menu_and_zero(phone):
    phone("hi")
    phone("1")
    phone("2")
    assert "Where are you?" in phone("back")
    assert "1 Your rights" in phone("0")
    phone("2")
    assert "1 Your rights" in phone("MENU")


def test_back_from_the_first_menu_stays_on_the_menu(phone):
    phone("hi")
    assert "1 Your rights" in phone("back")


def test_a_flyer_shortcut_works_from_anywhere_and_as_a_first_text(phone):
    assert "orden firmada por un juez" in phone("PUERTA")  # a Spanish flyer word: the script, in Spanish
    assert "warrant signed by a judge" in make_phone(phone.device.client, "+15055550888")("door")
    other = make_phone(phone.device.client, "+15055550999")
    assert "Where are you?" not in other("hola")
    assert "orden firmada por un juez" in other("puerta")


def test_a_misspelt_option_is_understood(phone):
    phone("hola")
    assert said("es", "rights:menu") in phone("derechoz")
    assert said("es", "rights:street") in phone("la calle")


def test_a_place_is_looked_up_by_kind_or_name_in_either_language(phone):
    phone("hola")
    phone("2")
    reply = every_page(phone, phone("5"), "mas", "Responda MAS")
    assert "- Bibliotecas públicas" in reply and "- Tribunales" in reply
    assert "Hospitales: Según la ordenanza del condado" in phone("hospitl")
    assert "bibliotecas públicas de Albuquerque son edificios de la ciudad" in phone("biblioteca")
    assert "Escuelas:" in phone("school")


def test_a_place_name_answers_from_the_main_menu_too(phone):
    phone("hi")
    assert "Schools:" in phone("escuela")


def test_help_and_ayuda_switch_to_the_words_language(phone):
    phone("hi")
    assert phone("HELP").startswith("In danger, call 911.")
    assert phone("ayuda").startswith("Si está en peligro, llame al 911.")
    assert "1 Sus derechos" in phone("0")


def test_language_and_idioma_offer_the_languages_by_their_own_names(phone):
    phone("hi")
    reply = phone("LANGUAGE")
    assert "1 English" in reply and "2 Español" in reply
    assert "1 Sus derechos" in phone("2")
    assert "1 English" in phone("idioma")
    assert "1 Your rights" in phone("1")


def test_writing_a_language_name_switches_language(phone):
    phone("hi")
    phone("1")
    assert said("es", "rights:menu") in phone("español")


def test_events_say_when_none_are_upcoming_and_point_to_recordings(phone):
    phone("hi")
    assert "cabq.gov/oira-resources" in phone("3")


def test_help_lines_carry_the_real_numbers(phone):
    phone("hi")
    reply = phone("4")
    assert "(505) 346-6781" in reply and "505-768-3307" in reply and "911" in reply


def test_about_lists_sources_by_publisher_and_says_none_is_rechecked_yet(phone):
    phone("hi")
    phone("6")
    reply = every_page(phone, phone("2"), "more", "Reply MORE")
    assert "- City of Albuquerque, Mon, Jul 21, 2025: Mayor Keller Issues Executive Order" in reply
    assert "- City Desk ABQ, Tue, Feb 24, 2026: news article" in reply and "No public copy found." in reply
    assert "aclusocal.org" in reply and "brief" not in reply
    assert reply.count("Staff have not yet re-checked all of these on the live pages.") == 1


def test_every_place_a_rule_covers_says_agents_can_still_arrest_in_public_areas(phone):
    phone("hi")
    for place in ("hospital", "library", "church", "courthouse", "city hall"):
        answer = every_page(phone, phone(place), "more", "Reply MORE")
        assert "Agents can still stop and arrest people in public areas" in answer, place
    phone("0")
    phone("2")
    listed = every_page(phone, phone("5"), "more", "Reply MORE")
    assert "- Hospitals" in listed and "public property" not in listed.lower()  # HB 9 makes no place safe


def test_stop_forgets_the_session_and_start_comes_back(phone, redis_client):
    phone("hi")
    phone("1")
    assert list(redis_client.scan_iter("rl:s:*"))
    assert "unsubscribed" in phone("STOP")
    assert not list(redis_client.scan_iter("rl:s:*"))
    assert "1 Your rights" in phone("START")


@pytest.mark.parametrize("word", ["stop", "STOPALL", "unsubscribe", "Cancel", "end", "quit", "alto", "PARAR"])
def test_every_standard_opt_out_word_stops(phone, word, redis_client):
    phone("hi")
    reply = phone(word)
    assert "unsubscribed" in reply or "Ya no recibirá" in reply
    assert not list(redis_client.scan_iter("rl:s:*"))


def test_a_stop_word_among_other_words_is_no_opt_out(phone, redis_client):
    phone("hi")
    assert "unsubscribed" not in phone("stopp")
    assert "unsubscribed" not in phone("please stop the car")
    assert list(redis_client.scan_iter("rl:s:*"))


def test_forget_and_borrar_delete_everything(phone, redis_client):
    phone("hola")
    assert "su sesión fue eliminada" in phone("BORRAR")
    assert not list(redis_client.scan_iter("rl:s:*"))
    phone("hi")
    assert "session is deleted" in phone("forget")


# Input a real phone, a confused person or an attacker may send: always 200, TwiML, one short line.
BAD_INPUT = {
    "empty": "",
    "spaces": "   ",
    "1600 letters": "a" * 1600,
    "2000 letters": "b" * 2000,
    "control characters": "\x00\x07\x1b[31m1\x7f",
    "emoji": "😀🙏",
    "superscript two": "²",
    "right to left": "مرحبا \u202e1\u202c",
    "digits beyond the menu": "99",
    "markup": "<Response><Say>hi</Say></Response>",
    "format string": "{0} {key} %s",
    "nine": "9",
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_unknown_or_malformed_input_gets_a_short_line_and_the_menu(phone, case):
    phone("hi")
    reply = phone(BAD_INPUT[case])
    if case in ("empty", "spaces", "emoji"):  # nothing to answer but the menu: no "your message was empty"
        assert reply.startswith("Reply with a number:")
    else:
        assert reply.startswith("Sorry, I did not understand that.")
    assert "1 Your rights" in reply
    ElementTree.fromstring(phone.device.last_xml)  # valid XML whatever came in


def test_markup_in_a_text_never_becomes_twiml(phone):
    phone("hi")
    phone("<Say>x</Say>")
    root = ElementTree.fromstring(phone.device.last_xml)
    assert [child.tag for child in root] == ["Message"]


def test_every_reply_stays_within_the_segment_budget(phone):
    for lang, hello in (("en", "hi"), ("es", "hola")):
        for node_id, keys in PATHS.items():
            phone("0") if keys else phone(hello)
            phone(hello)
            for key in keys:
                reply = phone(key)
                assert segments.count(reply) <= 3, (lang, node_id)


def test_a_missing_signature_is_refused_and_changes_nothing(client, redis_client):
    response = client.post("/sms", data={"From": "+15055550123", "Body": "hi"})
    assert response.status_code == 403
    assert redis_client.dbsize() == 0


def test_a_wrong_signature_is_refused(client, redis_client):
    response = client.post("/sms", data={"From": "+15055550123", "Body": "hi"},
                           headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert response.status_code == 403
    assert redis_client.dbsize() == 0


def test_a_signature_for_other_content_is_refused(client, redis_client):
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://localhost/sms", {"Body": "hi"})
    response = client.post("/sms", data={"Body": "STOP"}, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert redis_client.dbsize() == 0


def test_behind_a_proxy_the_signature_is_checked_against_public_url(overrides, redis_client):
    from twilio.request_validator import RequestValidator

    from bot.web import create_app

    app = create_app({**overrides, "public_url": "https://rights.example.org"})
    form = {"From": "+15055550123", "Body": "hi"}
    good = RequestValidator(AUTH_TOKEN).compute_signature("https://rights.example.org/sms", form)
    local = RequestValidator(AUTH_TOKEN).compute_signature("http://localhost/sms", form)
    client = app.test_client()
    assert client.post("/sms", data=form, headers={"X-Twilio-Signature": good}).status_code == 200
    assert client.post("/sms", data=form, headers={"X-Twilio-Signature": local}).status_code == 403


def test_a_signed_request_without_a_sender_still_gets_an_answer(client):
    from twilio.request_validator import RequestValidator

    form = {"Body": "hi"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://localhost/sms", form)
    response = client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200 and b"<Message>" in response.data


def test_with_no_upcoming_event_listed_the_line_says_only_what_it_knows(phone):
    phone("hi")
    phone("0")
    reply = phone("3")  # every shipped event is past
    assert "No upcoming events are listed here right now." in reply and "planned" not in reply
    assert "cabq.gov/oira-resources" in reply
