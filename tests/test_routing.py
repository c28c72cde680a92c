"""Residents' own words through the real webhooks (`rightsline routing check`): the judge tells a right answer
from a wrong one, and what must already hold does: nobody is unsubscribed who did not ask."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.routing import Example, Judge, check
from tests.helpers import AUTH_TOKEN, FLOWS, ROOT, TRANSLATOR

OWN = ROOT / "tests" / "routing" / "examples.jsonl"  # the project's own labelled messages
DEV = ROOT.parent / "shared" / "routing" / "dev.jsonl"  # residents' messages, beside every checkout CI tests
# Written by second readers who saw neither the dev file nor the code: how well the line generalises. Only
# "nobody unsubscribed who did not ask" is held on them. The first set's failures were read once (issue 11's
# second session) to find what kinds of words were missing, so it is no longer unseen; the second is, and is
# measured, never tuned to.
HELD_OUT = ROOT / "tests" / "routing" / "held_out.jsonl"
HELD_OUT_2 = ROOT / "tests" / "routing" / "held_out_2.jsonl"
FILES = [OWN, HELD_OUT, HELD_OUT_2, DEV] if DEV.exists() else [OWN, HELD_OUT, HELD_OUT_2]
JUDGE = Judge(FLOWS, TRANSLATOR, voice=False)


def reply_of(lang: str, *message_ids: str) -> str:
    return "\n".join(TRANSLATOR.text(lang, message_id) for message_id in message_ids)


def verdict(intent: str, lang: str, reply: str) -> str:
    return JUDGE.verdict(Example(lang, "…", intent), reply)[0]


def test_the_script_asked_for_is_right_and_any_other_script_is_wrong():
    door = reply_of("es", "rights:door")
    assert verdict("door", "es", door) == "right"
    assert verdict("car", "es", door) == "wrong"
    assert verdict("door", "es", reply_of("es", "rights:door", "rights:car")) == "wrong"


def test_a_stop_reply_to_a_question_is_the_worst_verdict():
    stopped = reply_of("en", "system:stopped")
    assert verdict("street", "en", stopped) == "unasked opt-out"
    assert verdict("opt_out", "en", stopped) == "right"


def test_a_menu_answers_a_greeting_but_not_a_question():
    menu = reply_of("vi", "main:menu")
    assert verdict("greeting", "vi", menu) == "right"
    assert verdict("door", "vi", menu) == "not understood"


def test_a_kind_of_place_the_line_has_no_entry_for_is_answered_by_the_safe_places_menu():
    assert verdict("safe_place:park", "en", reply_of("en", "safe:menu")) == "right"


@pytest.mark.parametrize("mode", ["first", "session"])
@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_no_text_unsubscribes_or_forgets_a_person_who_did_not_ask(client, path, mode):
    report = check(Example.read(path), client, FLOWS, TRANSLATOR, AUTH_TOKEN, mode)
    assert [r.example.text for r in report.results if r.verdict == "unasked opt-out"] == []
    assert len(report.results) == len(Example.read(path))


def test_no_words_said_on_a_call_unsubscribe_anybody(client):
    report = check(Example.read(FILES[-1]), client, FLOWS, TRANSLATOR, AUTH_TOKEN, channel="voice")
    assert [r.example.text for r in report.results if r.verdict == "unasked opt-out"] == []


def test_the_routing_check_command_counts_every_message_by_language_and_intent():
    result = CliRunner().invoke(main, ["routing", "check", str(OWN), "--mode", "session"])
    assert result.exit_code == 0, result.output
    count = len(Example.read(OWN))
    assert f"{count} messages, session mode, by sms" in result.output
    assert f"all {count}" in result.output
    for lang in ("en", "es", "vi", "zh_Hans", "ar"):
        assert f"\n  {lang} " in result.output
