"""People's own words: what a message asks for, in which language, and a question when it could mean two
things. Engine-level checks first, then the targets of the routing check on residents' texts."""

from __future__ import annotations

import pytest

from bot import engine, flow, sms
from bot.detect import Guess
from bot.i18n import Translator
from bot.routing import Example, check
from bot.turn import Keys, Message, Speech, State
from bot.understand import Meaning
from bot.vocabulary import Vocabulary
from tests.helpers import AUTH_TOKEN, FLOWS, FROZEN_NOW, ROOT, TRANSLATOR
from tests.test_opt_out import KNOWN_MISSES
from tests.test_routing import DEV, OWN

VOCABULARY = Vocabulary.build(FLOWS, TRANSLATOR.text)
RIGHTS = ("door", "street", "car", "work", "detained", "family_plan")


def text(state: State | None, words: str):
    return engine.step(FLOWS, VOCABULARY, state, Message(words), FROZEN_NOW)


def at(lang: str, node: str = FLOWS.start, history: tuple[str, ...] = ()) -> State:
    return State(node, lang, history)


def test_a_first_text_is_answered_in_its_own_language_with_one_line_about_the_line_after():
    turn = text(None, "esta la migra en mi casa que hago")
    assert turn.node == "rights:door" and turn.lang == "es"
    assert [say.id for say in turn.says] == ["rights:door", "system:first_note"]


@pytest.mark.parametrize("words, lang", [("toi can luat su gap", "vi"), ("我被拘留了怎么办", "zh_Hans"),
                                         ("門口有警察怎麼辦", "zh_Hans"), ("البوليس وقفني وأنا سايق", "ar"),
                                         ("my tia says la migra is at my door", "en")])
def test_the_language_is_told_from_the_words_unaccented_traditional_or_dialect(words, lang):
    assert VOCABULARY.guesser.guess(words).lang == lang


@pytest.mark.parametrize("words", ["Olá, preciso de ajuda com a imigração, os agentes estão aqui",
                                   "من به کمک نیاز دارم، مأموران مهاجرت اینجا هستند", "Мне нужна помощь"])
def test_a_language_the_line_does_not_speak_gets_one_line_naming_those_it_does(words):
    assert VOCABULARY.guesser.guess(words) == Guess(other=True)
    reply = sms.render_text(TRANSLATOR, text(None, words), 3)
    assert reply.startswith("Rights Line speaks English, Español, Tiếng Việt, 中文, العربية.")


@pytest.mark.parametrize("words, node", [("la migra está en mi casa", "rights:door"),
                                         ("the police are here at my door", "rights:door"),
                                         ("can ICE go into the libary", "places:libraries"),
                                         ("hosptial", "places:hospitals")])
def test_words_that_carry_meaning_decide_never_a_labels_function_word(words, node):
    turn = text(at("es" if "migra" in words else "en"), words)
    reached = turn.node if turn.state.stage != "place" else f"places:{turn.state.item.split(':')[1]}"
    assert reached == node


@pytest.mark.parametrize("words", ["chồng tôi bị cảnh sát bắt", "chong toi bi canh sat bat roi",
                                   "我哥哥被警察带走了", "they took my brother away last night"])
def test_who_did_it_may_stand_between_the_words_of_a_detention(words):
    assert VOCABULARY.understanding.read(words).sure == Meaning("node", "rights:detained")


def test_a_gap_holds_a_few_words_not_a_whole_story():
    far = "bị mất việc rồi tuần sau họ nói sẽ đến bắt"  # "lost my job ... they will come to arrest"
    assert all(meaning != Meaning("node", "rights:detained") for meaning, _ in
               VOCABULARY.understanding.read(far).ranked)


def test_vietnamese_typed_without_its_d_with_stroke_still_matches():
    assert VOCABULARY.understanding.read("so dien thoai luat su").sure == Meaning("node", "main:help")


def test_a_message_typed_with_vietnamese_tones_means_what_its_tones_say():
    # "nha" ends a friendly sentence; "nhà" is home. Typed without tones, "nha" may be either.
    assert VOCABULARY.understanding.read("Mẹ ơi tối nay con về trễ nha, đừng chờ cơm").ranked == ()
    assert VOCABULARY.understanding.read("ICE đang ở nhà tôi").sure == Meaning("node", "rights:door")
    assert VOCABULARY.understanding.read("ICE dang o nha toi").sure == Meaning("node", "rights:door")


def test_a_caller_is_understood_from_the_words_as_heard_with_their_tones():
    said = Speech("nếu cảnh sát chặn tôi ngoài đường hỏi giấy tờ thì sao")
    assert engine.step(FLOWS, VOCABULARY, at("vi"), said, FROZEN_NOW).node == "rights:street"


@pytest.mark.parametrize("words", ["is there a workshop at the South Valley library this month?",
                                   "habrá una plática en el centro comunitario?"])
def test_an_event_and_the_place_it_may_be_held_in_are_asked_about_never_the_place_alone(words):
    reading = VOCABULARY.understanding.read(words)
    assert reading.sure is None and Meaning("node", "main:events") in reading.close and len(reading.close) == 2


def test_my_phone_number_is_a_question_about_privacy_not_a_number_to_call():
    asked = "nhắn tin ở đây có an toàn không, số điện thoại của tôi có bị lưu lại không"
    assert VOCABULARY.understanding.read(asked).sure == Meaning("node", "main:privacy")


def test_in_a_story_the_question_decides_over_what_is_only_told():
    story = ("I was at work yesterday and my boss said some men came asking for me. "
             "If they come tonight, do I have to open the door?")
    assert VOCABULARY.understanding.read(story).sure == Meaning("node", "rights:door")


@pytest.mark.parametrize("words", ["thank you", "ok", "gracias", "👍", "hello"])
def test_thanks_ok_an_emoji_or_a_hello_get_the_menu_never_a_script(words):
    turn = text(at("en", "rights:menu", (FLOWS.start,)), words)
    assert turn.node == FLOWS.start


def test_two_meanings_that_come_close_get_a_question_offering_only_those():
    turn = text(at("en"), "on the street or in the car")
    assert turn.outcome == "clarify" and turn.says[0].id == "system:clarify"
    assert [choice.label.id for choice in turn.options] == ["rights:menu/2", "rights:menu/3"]
    assert text(turn.state, "2").node == "rights:car"
    assert text(turn.state, "what about work").node == "rights:work"  # a new message is read afresh


def test_a_caller_is_asked_too_and_answers_with_a_key():
    asked = engine.step(FLOWS, VOCABULARY, at("es"), Speech("en la calle o en el carro"), FROZEN_NOW)
    assert asked.outcome == "clarify" and len(asked.options) == 2
    assert engine.step(FLOWS, VOCABULARY, asked.state, Keys("1"), FROZEN_NOW).node == "rights:street"


def test_a_digit_after_a_script_picks_from_the_menu_it_came_from():
    door = text(at("en", "rights:menu", (FLOWS.start,)), "1")
    assert door.node == "rights:door"
    assert text(door.state, "3").node == "rights:car"


def test_more_after_a_place_pages_the_place_answer():
    place = text(at("es"), "estacionamiento de la ciudad")
    assert place.state.stage == "place"
    more = text(place.state, "mas")
    assert more.page == 1 and more.says == place.says


def test_a_place_the_line_has_no_entry_for_is_never_called_protected():
    turn = text(at("es"), "podemos ir al parque o anda la migra ahi?")
    assert [say.id for say in turn.says][0] == "places:no_entry/note"
    assert "no podemos decir que esté protegido" in sms.render_text(TRANSLATOR, turn, 3)


def test_a_last_page_never_holds_the_footer_alone():
    pages = sms.paginate([["x " * 75], ["y " * 75], ["0 Menu - BACK"]], budget=1, hint="Reply MORE for the rest.")
    assert all(page.strip() != "0 Menu - BACK" for page in pages)


def test_staff_add_a_synonym_in_a_flow_file_and_it_works(flows_dir):
    path = flows_dir / "places.yaml"
    path.write_text(path.read_text().replace('"la pulga",', '"la pulga", "tianguis",'))
    flows = flow.load(flows_dir)
    vocabulary = Vocabulary.build(flows, Translator(flows, ROOT / "translations").text)
    turn = engine.step(flows, vocabulary, State(flows.start, "es"), Message("pueden entrar al tianguis?"),
                       FROZEN_NOW)
    assert turn.state.item == "place:no_entry"


# ---------------------------------------------------------------- the targets, on residents' texts


def _report(client, path, **how):
    return check(Example.read(path), client, FLOWS, TRANSLATOR, AUTH_TOKEN, **how)


@pytest.mark.parametrize("mode", ["first", "session"])
@pytest.mark.parametrize("path", [OWN, DEV] if DEV.exists() else [OWN], ids=lambda path: path.name)
def test_texts_reach_their_answer_or_a_question_and_never_a_wrong_one(client, path, mode):
    report = _report(client, path, mode=mode)
    wrong = [r.example.text for r in report.results if r.verdict in ("wrong", "unasked opt-out")]
    assert wrong == []
    assert report.share("right", "clarified") >= 0.95, report.table()
    assert report.share("right") >= 0.85, report.table()
    asked = [r for r in report.results if r.example.intent in ("opt_out", "forget")]
    assert [r.example.text for r in asked if r.verdict != "right" and r.example.text not in KNOWN_MISSES] == []


@pytest.mark.skipif(not DEV.exists(), reason="residents' texts are beside the checkouts CI tests")
def test_rights_questions_said_at_a_calls_main_menu_reach_their_script(client):
    report = _report(client, DEV, channel="voice")
    assert report.share("right", intents=RIGHTS) >= 0.85, report.table()
    assert report.share("wrong", intents=RIGHTS) <= 0.02, report.table()
