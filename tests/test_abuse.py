"""Abuse: no one can make the line text strangers without limit (issue 13). The texts the line starts itself
("text me" on a call, reminders) go only to U.S. numbers, at most RIGHTSLINE_TEXTS_PER_NUMBER_PER_DAY to a
number, RIGHTSLINE_TEXTS_PER_CALL in a call, and RIGHTSLINE_DAILY_TEXT_BUDGET for the whole line a day."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from werkzeug.test import EnvironBuilder

from bot import config
from bot.chat import WebhookPhone
from bot.reminders import reminder_queue
from bot.store import sender_key
from bot.web import create_app
from tests.helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROZEN_NOW,
    SECRET,
    TRANSLATOR,
    call_in,
    make_caller,
    make_phone,
    spoken,
)
from tests.reminder_helpers import (
    app_at,
    ask_for_reminder,
    due_now_event,
    future_event,
    real_now,
    run_worker,
    write_events,
)

QUEUE = "rq:queue:reminders"


def a_call(client, number: str, call: str = "1"):
    caller = make_caller(client, number)
    caller.CALL = {**caller.CALL, "CallSid": "CA" + call.rjust(32, "0")}
    return caller


def press_two_after_a_script(caller) -> str:
    """Call, hear the door script in English, and press 2 (text it to me): what the caller hears then."""
    call_in(caller, "en")
    caller.press("1")
    caller.press("1")
    return caller.press("2").text


def limits_counted(redis_client, name: str, day: datetime = FROZEN_NOW) -> int:
    day = day.astimezone(UTC).strftime("%Y-%m-%d")
    return int(redis_client.hget(f"rl:c:{day}", f"limits|-|{name}") or 0)


@pytest.fixture
def limited(overrides, shipped_flows):
    def build(**limits):
        return create_app({**overrides, "flows": shipped_flows, **limits}).test_client()
    return build


def test_one_caller_asking_for_script_after_script_gets_two_texts_then_hears_texts_are_paused(limited, redis_client,
                                                                                               caplog):
    client = limited(texts_per_number_per_day=10)
    caller = a_call(client, "+15055550123")
    assert spoken("en", "system:voice_text_sent") in press_two_after_a_script(caller)  # the door script
    heard = []
    for script in "2345":  # back to the rights menu, the next script, and 2: text it to me
        caller.press("9")
        caller.press(script)
        heard.append(caller.press("2").text)
    assert redis_client.llen(QUEUE) == 2  # RIGHTSLINE_TEXTS_PER_CALL, by default 2
    assert spoken("en", "system:voice_text_sent") in heard[0]
    assert spoken("en", "system:voice_texts_paused") in heard[-1]
    assert spoken("en", "system:voice_after_script") in heard[-1]  # the call goes on
    assert "RIGHTSLINE_TEXTS_PER_CALL" in caplog.text and "5550123" not in caplog.text
    assert limits_counted(redis_client, "call") == 3


def test_a_number_gets_at_most_its_daily_texts_however_many_calls_it_makes(limited, redis_client):
    client = limited(texts_per_call=5, texts_per_number_per_day=3)
    for call in range(5):
        press_two_after_a_script(a_call(client, "+15055550123", str(call)))
    assert redis_client.llen(QUEUE) == 3
    assert limits_counted(redis_client, "number") == 2


def test_many_spoofed_caller_ids_stop_at_the_lines_daily_budget(limited, redis_client):
    client = limited(daily_text_budget=5)
    heard = [press_two_after_a_script(a_call(client, f"+1505555{index:04d}", str(index))) for index in range(12)]
    assert redis_client.llen(QUEUE) == 5
    assert all(spoken("en", "system:voice_texts_paused") in text for text in heard[5:])
    assert limits_counted(redis_client, "budget") == 7


def test_a_replayed_text_me_request_is_told_the_same_and_queues_one_text(limited, redis_client):
    client = limited()
    caller = a_call(client, "+15055550123")
    call_in(caller, "en")
    caller.press("1")
    at_the_script = caller.press("1").action
    heard = [caller._go(at_the_script, {"Digits": "2"}).text for _ in range(5)]  # one signed request, again and again
    assert redis_client.llen(QUEUE) == 1
    assert all(spoken("en", "system:voice_text_sent") in text for text in heard)
    assert limits_counted(redis_client, "replay") == 4


@pytest.mark.parametrize("number", ["+18765550123", "+18095550123", "+13455550123", "+14165550123"],
                         ids=["Jamaica", "Dominican Republic", "Cayman Islands", "Canada"])
def test_plus_one_is_not_enough_a_text_goes_only_to_a_us_number(limited, redis_client, number):
    heard = press_two_after_a_script(a_call(limited(), number))
    assert spoken("en", "system:voice_text_us_only") in heard
    assert redis_client.llen(QUEUE) == 0


@pytest.mark.parametrize("number", ["+447700900123", "+2348031234567", "+8801712345678", "+18765550123"])
def test_a_reminder_is_not_taken_by_text_from_a_number_outside_the_us(sending, flows_dir, redis_client, number):
    write_events(flows_dir, future_event())
    app = app_at(sending, real_now())
    reply = ask_for_reminder(app.test_client(), number)
    assert reply.startswith("Sorry, we can send reminders only to U.S. phone numbers.")
    assert ScheduledJobRegistry(queue=reminder_queue(redis_client)).count == 0


def test_reminder_sign_ups_by_text_count_against_the_numbers_day(sending, flows_dir, redis_client):
    write_events(flows_dir, future_event())
    app = app_at({**sending, "texts_per_number_per_day": 2}, real_now())
    replies = [ask_for_reminder(app.test_client(), "+15055550123") for _ in range(3)]
    assert replies[0].startswith("Done.") and replies[1].startswith("Done.")
    assert replies[2].startswith("Sorry, we cannot send text reminders right now.")


def test_a_reminder_due_when_the_days_budget_is_spent_is_not_sent_and_is_counted(sending, flows_dir, messages_api,
                                                                                   redis_client, caplog):
    caplog.set_level(logging.INFO)
    event, subscribe_at = due_now_event()
    write_events(flows_dir, event)
    app = app_at({**sending, "daily_text_budget": 0}, subscribe_at)
    assert ask_for_reminder(app.test_client(), "+15055550123").startswith("Done.")
    run_worker(app)
    assert messages_api.received == []
    assert "dropped:daily text budget reached" in caplog.text and "5550123" not in caplog.text
    assert limits_counted(redis_client, "budget", datetime.now(UTC)) == 1  # the worker keeps real time


def test_each_limit_is_a_setting_with_its_default():
    defaults = config.load(environ={"RIGHTSLINE_ENV": "test", "RIGHTSLINE_SECRET": "s" * 32})
    assert (defaults.texts_per_number_per_day, defaults.texts_per_call, defaults.daily_text_budget) == (3, 2, 1000)
    changed = config.load(environ={"RIGHTSLINE_ENV": "test", "RIGHTSLINE_SECRET": "s" * 32,
                                   "RIGHTSLINE_TEXTS_PER_NUMBER_PER_DAY": "5", "RIGHTSLINE_TEXTS_PER_CALL": "1",
                                   "RIGHTSLINE_DAILY_TEXT_BUDGET": "200"})
    assert (changed.texts_per_number_per_day, changed.texts_per_call, changed.daily_text_budget) == (5, 1, 200)
    with pytest.raises(config.ConfigError, match="RIGHTSLINE_DAILY_TEXT_BUDGET"):
        config.load(environ={"RIGHTSLINE_ENV": "test", "RIGHTSLINE_SECRET": "s" * 32,
                             "RIGHTSLINE_DAILY_TEXT_BUDGET": "lots"})


# ---------------------------------------------------------------- bodies and signatures

def test_the_longest_text_twilio_can_send_with_ten_photos_is_answered(client):
    form = {"From": "+15055550123", "To": "+15055550000", "MessageSid": "SM" + "1" * 32, "AccountSid": ACCOUNT_SID,
            "Body": ("Tôi cần giúp đỡ, ICE đang ở cửa nhà tôi " * 60)[:1600], "NumMedia": "10",
            **{f"MediaUrl{index}": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"
                                   f"MM{'2' * 32}/Media/ME{str(index) * 32}" for index in range(10)},
            **{f"MediaContentType{index}": "image/jpeg" for index in range(10)}}
    phone = WebhookPhone(AUTH_TOKEN, form["From"], client=client)  # signs it as Twilio would
    xml = phone.post("/sms", form)
    assert phone.last_status == 200 and "<Message>" in xml


def test_a_body_over_64_kb_is_refused_and_never_read_past_64_kb_even_when_chunked(client):
    big = b"Body=" + b"a" * (64 * 1024)
    assert client.post("/sms", data=big, content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": "forged"}).status_code == 413  # by its Content-Length, unread

    environ = EnvironBuilder("/sms", method="POST", content_type="application/x-www-form-urlencoded",
                             headers={"X-Twilio-Signature": "forged"}).get_environ()
    del environ["CONTENT_LENGTH"]  # as gunicorn gives a chunked body: no length, the stream ends where it ends
    endless = _Stream(b"a" * 1024 for _ in range(64 * 1024))  # 64 MB, as the attack sent
    environ.update({"wsgi.input": endless, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    statuses = []
    client.application(environ, lambda status, _headers, *_: statuses.append(status))
    assert statuses[0][:3] in ("403", "413")
    assert endless.taken <= 64 * 1024 + 1024  # one chunk past the limit at most, never the 64 MB


class _Stream:
    """A request body arriving in parts, counting how much of it the app took."""

    def __init__(self, parts):
        self.parts, self.buffer, self.taken = iter(parts), b"", 0

    def read(self, size=-1):
        while size < 0 or len(self.buffer) < size:
            try:
                part = next(self.parts)
                self.buffer += part
                self.taken += len(part)
            except StopIteration:
                break
        taken, self.buffer = (self.buffer, b"") if size < 0 else (self.buffer[:size], self.buffer[size:])
        return taken

    def readline(self, size=-1):
        return self.read(size)


def test_a_request_without_a_signature_is_refused_before_its_body_is_read(client):
    class Untouchable:
        def read(self, *_args):
            raise AssertionError("the body of an unsigned request was read")
        readline = read
    response = client.post("/sms", environ_overrides={"wsgi.input": Untouchable(), "CONTENT_LENGTH": "10"},
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 403


@pytest.mark.parametrize("env", ["test", "production"])
def test_the_web_app_never_starts_without_a_real_auth_token(overrides, env):
    with pytest.raises(config.ConfigError, match="TWILIO_AUTH_TOKEN"):
        create_app({**overrides, "env": env, "twilio_auth_token": ""})


# ---------------------------------------------------------------- replays of texts

def test_a_replayed_text_gets_the_same_reply_and_moves_nobody_a_second_step(client, redis_client):
    phone = make_phone(client, "+15055550123")
    phone("hi")
    rights_menu = phone("1")
    assert phone.device.send_again() == rights_menu  # Twilio's retry, or anyone resending the signed request
    assert phone.device.send_again() == rights_menu
    assert "At your door" in phone("1")  # one step from the rights menu: the replays moved nothing


def test_a_replayed_reminder_sign_up_is_answered_the_same_and_schedules_one_reminder(sending, flows_dir,
                                                                                    redis_client):
    write_events(flows_dir, future_event())
    app = app_at(sending, real_now())
    phone = make_phone(app.test_client(), "+15055550123")
    phone("hi")
    phone("3")
    phone("1")
    done = phone("1")
    assert done.startswith("Done."), done
    scheduled = ScheduledJobRegistry(queue=reminder_queue(redis_client)).count
    assert scheduled
    assert phone.device.send_again() == done
    assert ScheduledJobRegistry(queue=reminder_queue(redis_client)).count == scheduled
    assert redis_client.get(f"rl:t:n:{real_now().strftime('%Y-%m-%d')}:" + sender_key(SECRET, "+15055550123")) == b"1"


def test_a_replay_keeps_no_words_only_the_states_and_forget_erases_them(client, redis_client):
    phone = make_phone(client, "+15055550123")
    for text in ("hola", "hospitl", "1"):
        phone(text)
    stored = " ".join(str(redis_client.get(key)) for key in redis_client.scan_iter("rl:s:*"))
    assert "hospitl" not in stored and "hola" not in stored
    phone("BORRAR")
    assert not list(redis_client.scan_iter("rl:s:*"))


# ---------------------------------------------------------------- one sender, many texts

@pytest.fixture
def fast_sender(overrides, shipped_flows, redis_client):
    """A phone at the line's default allowance of replies, and a clock the test moves."""
    clock = [FROZEN_NOW]
    app = create_app({**overrides, "flows": shipped_flows, "sender_burst": 10, "sender_per_minute": 20,
                      "clock": lambda: clock[0]})
    phone = make_phone(app.test_client(), "+15055550123")
    phone.clock = clock
    return phone


def test_a_sender_texting_fast_is_asked_once_in_their_language_to_wait_then_answered_with_nothing(fast_sender,
                                                                                                   redis_client):
    replies = [fast_sender("hola")] + [fast_sender("menu") for _ in range(9)]  # a long text in parts, and more
    assert all("1 " in reply for reply in replies)
    wait = fast_sender("menu")
    assert wait == TRANSLATOR.text("es", "system:slow_down")
    for _ in range(20):
        assert fast_sender("menu") == "" and "<Message" not in fast_sender.device.last_xml
    assert limits_counted(redis_client, "sender") == 1


def test_the_allowance_refills_at_its_rate_and_a_sender_is_answered_again(fast_sender):
    for _ in range(11):
        fast_sender("hi")
    assert fast_sender("hi") == ""
    fast_sender.clock[0] += timedelta(seconds=3)  # 20 a minute: one more reply every 3 seconds
    assert "1 Your rights" in fast_sender("hi")
    assert fast_sender("hi") == TRANSLATOR.text("en", "system:slow_down")  # past it again: told again, once


@pytest.mark.parametrize("word", ["STOP", "HELP", "FORGET", "START", "no me manden más mensajes"])
def test_stop_start_help_and_forget_are_always_answered_even_past_the_allowance(fast_sender, word):
    for _ in range(12):
        fast_sender("hi")
    assert fast_sender(word) != ""


def test_five_parts_of_one_long_text_in_one_second_are_all_answered(fast_sender):
    assert all(fast_sender(part) for part in ("ICE", "is", "at", "my", "door"))


def test_the_allowance_is_kept_under_the_senders_keyed_hash_and_expires(fast_sender, redis_client):
    fast_sender("hi")
    keys = [key.decode() for key in redis_client.scan_iter("rl:a:*")]
    assert keys == [f"rl:a:{sender_key(SECRET, '+15055550123')}"]
    assert 0 < redis_client.pttl(keys[0]) <= 30_000  # the time to refill ten at twenty a minute


# ---------------------------------------------------------------- changing the Auth Token

def test_during_a_rotation_requests_signed_with_either_token_are_answered_and_others_refused(overrides,
                                                                                          shipped_flows):
    new_token = "rotated-auth-token-0123456789abcdef"
    client = create_app({**overrides, "flows": shipped_flows, "twilio_auth_token_secondary": new_token}).test_client()
    for token in (AUTH_TOKEN, new_token):
        phone = WebhookPhone(token, "+15055550123", client=client)
        assert "1 Your rights" in phone.send("hi") and phone.last_status == 200
    forged = WebhookPhone("some-other-token-0123456789abcdef", "+15055550123", client=client)
    forged.post("/sms", {"From": "+15055550123", "Body": "hi", "MessageSid": "SM" + "3" * 32})
    assert forged.last_status == 403


def test_the_secondary_token_is_read_from_the_environment():
    settings = config.load(environ={"RIGHTSLINE_ENV": "test", "RIGHTSLINE_SECRET": "s" * 32,
                                    "TWILIO_AUTH_TOKEN": "a" * 32, "TWILIO_AUTH_TOKEN_SECONDARY": "b" * 32})
    assert settings.twilio_auth_token_secondary == "b" * 32
