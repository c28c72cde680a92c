"""Five languages served in full: found from a first text, switched by word, digit or phone key, matched
in their own script, with dates through Babel and Arabic laid out right to left."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import match
from bot.i18n import RLM
from tests.helpers import FLOWS, TRANSLATOR, call_in, make_caller, said

FIRST_WORDS = [("xin chào", "vi"), ("Xin chao", "vi"), ("你好", "zh_Hans"), ("你好啊", "zh_Hans"),
               ("مرحبا", "ar"), ("السلام عليكم", "ar"), ("hola", "es"), ("hello", "en"), ("ngôn ngữ", "vi")]


@pytest.mark.parametrize("first, lang", FIRST_WORDS)
def test_a_first_text_in_a_language_starts_in_it(phone, first, lang):
    reply = phone(first)
    assert f"1 {said(lang, 'main:menu/1')}" in reply


@pytest.mark.parametrize("first, lang", [("trợ giúp", "vi"), ("帮助", "zh_Hans"), ("مساعدة", "ar"), ("ayuda", "es")])
def test_a_first_help_word_leads_with_911_then_the_help_lines_on_one_screen_in_its_language(phone, first, lang):
    reply = phone(first).lstrip("\u200f")  # Arabic lines open with a right-to-left mark
    assert reply.startswith(said(lang, "system:help_911"))
    assert all(hotline.phone in reply for hotline in FLOWS.hotlines)
    assert said(lang, "system:help_hint") in reply and said(lang, "system:more_hint") not in reply


def test_a_first_text_in_no_known_language_offers_all_five_in_their_own_words_on_one_screen(phone):
    reply = phone("???")
    for option in FLOWS.nodes[FLOWS.language_node].options:
        if option.language in FLOWS.enabled_languages:
            offer = TRANSLATOR.text(option.language, "system:choose_language").format(key=option.key)
            assert offer in reply
    assert "MORE" not in reply  # all five fit on the first screen
    assert said("vi", "main:menu/1") in phone("3")


@pytest.mark.parametrize("word, lang", [("LANGUAGE", "en"), ("IDIOMA", "es"), ("NGÔN NGỮ", "vi"),
                                        ("ngon ngu", "vi"), ("语言", "zh_Hans"), ("اللغة", "ar")])
def test_the_language_word_of_each_language_works_at_any_time(phone, word, lang):
    phone("hello")
    phone("1")
    reply = phone(word)
    assert said(lang, "main:language") in reply  # asked in the word's own language
    for code in FLOWS.enabled_languages:
        assert FLOWS.languages[code].name in reply


@pytest.mark.parametrize("digit, lang", [("3", "vi"), ("4", "zh_Hans"), ("5", "ar"), ("1", "en")])
def test_a_digit_at_the_language_menu_switches_and_the_choice_is_kept(phone, redis_client, digit, lang):
    phone("hola")
    phone("idioma")
    assert said(lang, "main:menu/1") in phone(digit)
    assert said(lang, "rights:menu") in phone("1")  # the session remembers the language


@pytest.mark.parametrize("lang, typed, node", [
    ("vi", "quyen cua ban", "rights:menu"), ("vi", "noi an toan", "safe:menu"), ("zh_Hans", "权利", "rights:menu"),
    ("zh_Hans", "安全", "safe:menu"), ("ar", "حقوق", "rights:menu"), ("ar", "الأماكن الآمنة", "safe:menu")])
def test_options_are_matched_in_each_language_and_script(phone, lang, typed, node):
    phone({"vi": "xin chào", "zh_Hans": "你好", "ar": "مرحبا"}[lang])
    assert said(lang, node) in phone(typed)


@pytest.mark.parametrize("lang, typed, place", [("vi", "benh vien", "hospitals"), ("zh_Hans", "医院", "hospitals"),
                                                ("zh_Hans", "图书", "libraries"), ("ar", "مستشفى", "hospitals"),
                                                ("ar", "المدارس", "schools")])
def test_places_are_looked_up_in_each_language(phone, lang, typed, place):
    phone({"vi": "xin chào", "zh_Hans": "你好", "ar": "مرحبا"}[lang])
    phone("2")
    phone("5")
    assert TRANSLATOR.text(lang, f"places:{place}/name") in phone(typed)


def test_chinese_and_arabic_are_matched_by_prefix_not_by_letter_scores():
    pool = {match.normalize("您的权利"): "rights", match.normalize("安全场所"): "safe"}
    assert match.fuzzy_pick("权利", pool) == "rights"
    assert match.fuzzy_pick("安", pool) is None  # one character says too little
    assert match.fuzzy_pick("权场", pool) is None  # a mix of two is no match, not a guess
    arabic = {match.normalize("المستشفيات والعيادات"): "hospitals", match.normalize("المدارس"): "schools"}
    assert match.fuzzy_pick("مستشفيات", arabic) == "hospitals"
    assert match.fuzzy_pick("مدارس", arabic) == "schools"  # the article is no part of the match


def test_every_line_of_an_arabic_reply_is_laid_out_right_to_left(phone):
    for text in ("مرحبا", "1", "1", "المزيد"):
        reply = phone(text)
        assert reply and all(line.startswith(RLM) for line in reply.split("\n")), reply


def test_the_welcome_marks_only_its_arabic_line_right_to_left(phone):
    lines = phone("???").split("\n")
    arabic = [line for line in lines if any("\u0600" <= ch <= "\u06ff" for ch in line)]
    assert arabic and all(line.startswith(RLM) for line in arabic)
    assert not any(line.startswith(RLM) for line in lines if line not in arabic)


@pytest.mark.parametrize("lang, expected", [("vi", "Th 4, 2 thg 12, 18:00"), ("zh_Hans", "12月2日周三, 18:00"),
                                            ("ar", "الأربعاء، 2 ديسمبر, 6:00 م")])
def test_dates_and_times_follow_each_locale_in_albuquerque_time(lang, expected):
    moment = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 18:00 on Dec 2 in Albuquerque
    assert TRANSLATOR.value(lang, moment) == expected


@pytest.mark.parametrize("lang", ["vi", "zh_Hans", "ar"])
def test_a_call_can_be_had_in_each_language_by_its_key_and_by_pound(client, lang):
    caller = make_caller(client, "+15055550123")
    heard = call_in(caller, lang)
    voice = FLOWS.languages[lang]
    assert {(v, code) for v, code, _text in heard.said} == {(voice.voice, voice.voice_language)}
    assert heard.gather["language"] == voice.speech
    assert "For English, press 1." in caller.press("#").text
    assert "Main menu." in caller.press("1").text  # pound, then 1: English


def test_the_phone_menu_leaves_out_a_language_it_cannot_speak_and_says_the_text_line_serves_it(
        flows_dir, overrides, redis_client):
    from bot.web import create_app

    languages = flows_dir / "languages.yaml"
    languages.write_text(languages.read_text().replace('    voice: "Google.vi-VN-Standard-A"\n', ""))
    caller = make_caller(create_app({**overrides, "flows_dir": flows_dir}).test_client(), "+15055550123")
    heard = caller.dial()
    assert "Tiếng Việt is served by text message on this number." in heard.text
    assert "bấm" not in heard.text
    assert "Tiếng Việt" not in heard.gather["hints"]
